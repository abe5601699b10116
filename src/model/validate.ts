/**
 * Validation of documents against the event-model JSON schemas (draft 2020-12,
 * so Ajv's 2020 build, which honours `unevaluatedProperties`).
 * @module
 */
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ValidateFunction } from 'ajv';
import type { DocumentName } from './documents.js';
import { DocumentValidationError } from './errors.js';
import runStart from './schemas/run_start.json' with { type: 'json' };
import runStop from './schemas/run_stop.json' with { type: 'json' };
import descriptor from './schemas/event_descriptor.json' with { type: 'json' };
import event from './schemas/event.json' with { type: 'json' };
import eventPage from './schemas/event_page.json' with { type: 'json' };
import resource from './schemas/resource.json' with { type: 'json' };
import datum from './schemas/datum.json' with { type: 'json' };
import datumPage from './schemas/datum_page.json' with { type: 'json' };
import streamResource from './schemas/stream_resource.json' with { type: 'json' };
import streamDatum from './schemas/stream_datum.json' with { type: 'json' };
import bulkEvents from './schemas/bulk_events.json' with { type: 'json' };
import bulkDatum from './schemas/bulk_datum.json' with { type: 'json' };

const SCHEMAS: Record<DocumentName, object> = {
  start: runStart, stop: runStop, descriptor, event, event_page: eventPage, resource, datum,
  datum_page: datumPage, stream_resource: streamResource, stream_datum: streamDatum,
  bulk_events: bulkEvents, bulk_datum: bulkDatum,
};

let validators: Map<DocumentName, ValidateFunction> | null = null;

function compiled(): Map<DocumentName, ValidateFunction> {
  if (validators === null) {
    // strict:false: the schemas use keywords (title on $defs...) Ajv's strict mode flags.
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    validators = new Map();
    for (const [name, schema] of Object.entries(SCHEMAS) as Array<[DocumentName, object]>) {
      validators.set(name, ajv.compile(schema));
    }
  }
  return validators;
}

/** Errors of `doc` against the schema for `name`; empty when valid. */
export function documentErrors(name: DocumentName, doc: unknown): Array<{ path: string; message: string }> {
  const validate = compiled().get(name);
  if (validate === undefined) return [{ path: '', message: `unknown document name '${name}'` }];
  if (validate(doc)) return [];
  return (validate.errors ?? []).map((e) => ({ path: e.instancePath || '/', message: e.message ?? 'invalid' }));
}

/** Throw DocumentValidationError if `doc` is not a valid `name` document. */
export function validateDocument(name: DocumentName, doc: unknown): void {
  const errors = documentErrors(name, doc);
  if (errors.length > 0) {
    const text = errors.map((e) => `${e.path} ${e.message}`).join('; ');
    throw new DocumentValidationError(`invalid ${name} document: ${text}`, errors);
  }
}
