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

/** A placeholder uid for checking metadata before a run exists. */
const CHECK_UID = '00000000-0000-4000-8000-000000000000';

/**
 * Problems `md` would cause in a start document (bluesky: `RE(plan, **md)`):
 * `uid`/`time` (the RunEngine sets them), and anything the run_start schema
 * refuses (`scan_id` not an integer, keys with `.` or `/`...). Paths are JSON
 * pointers into `md`. Checked before a run is started, so a refused start
 * emits nothing and uses up no scan id.
 * @example startMetadataErrors({ scan_id: 'x' }) // [{ path: '/scan_id', message: 'must be integer' }]
 */
export function startMetadataErrors(md: unknown): Array<{ path: string; message: string }> {
  if (typeof md !== 'object' || md === null || Array.isArray(md)) return [{ path: '', message: 'must be an object' }];
  const errors: Array<{ path: string; message: string }> = [];
  const rest: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(md)) {
    if (k === 'uid' || k === 'time') errors.push({ path: `/${k}`, message: `may not be given: the RunEngine sets the start document's ${k}` });
    else rest[k] = v;
  }
  const validate = compiled().get('start') as ValidateFunction;
  if (validate({ uid: CHECK_UID, time: 0, ...rest })) return errors;
  for (const e of validate.errors ?? []) {
    const key = (e.params as { additionalProperty?: unknown }).additionalProperty;
    // Ajv reports a refused key on the object holding it: point at the key itself.
    if (e.keyword === 'additionalProperties' && typeof key === 'string') {
      errors.push({ path: `${e.instancePath}/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`, message: 'is not allowed as a key (start document keys may not contain "." or "/")' });
    } else {
      errors.push({ path: e.instancePath, message: e.message ?? 'is invalid' });
    }
  }
  // One problem per place (an anyOf fails once per branch and once as a whole).
  return errors.filter((e, i) => errors.findIndex((o) => o.path === e.path) === i);
}
