/**
 * A document collector that validates every document against the event-model
 * schemas as it arrives (so every test that uses it checks schema validity).
 * @module
 */
import type { DocumentName } from '../../src/model/documents.js';
import { documentErrors } from '../../src/model/validate.js';

export interface Collected { name: DocumentName; doc: Record<string, unknown> }

export class DocCollector {
  readonly docs: Collected[] = [];
  readonly invalid: string[] = [];
  readonly callback = (name: DocumentName, doc: object): void => {
    const errors = documentErrors(name, doc);
    if (errors.length > 0) this.invalid.push(`${name}: ${JSON.stringify(errors)}`);
    this.docs.push({ name, doc: doc as Record<string, unknown> });
  };
  names(): DocumentName[] { return this.docs.map((d) => d.name); }
  of(name: DocumentName): Array<Record<string, unknown>> { return this.docs.filter((d) => d.name === name).map((d) => d.doc); }
}
