/**
 * The error catalogue of every protocol: each stable code once, by area, with
 * its HTTP status and a message template. Codes are snake_case words (they are
 * part of the wire format) and are never reused for another meaning;
 * docs/errors.md lists each one (a test keeps the two in step).
 * @module
 */

/** One catalogue entry: the HTTP status and the message, with `{name}` placeholders filled from the error's data. */
export interface ErrorSpec { readonly status: number; readonly template: string }

/** A request that cannot be understood, whatever it asks. */
export const REQUEST_ERRORS = {
  bad_request: { status: 400, template: '{problem}' },
  too_large: { status: 413, template: 'request is larger than {limit} bytes' },
  unknown_op: { status: 404, template: 'unknown op "{op}"' },
  method_not_allowed: { status: 405, template: '{op} takes {allowed}' },
} as const satisfies Record<string, ErrorSpec>;

/** Starting plans by name. */
export const PLAN_ERRORS = {
  unknown_plan: { status: 404, template: 'no plan named "{plan}"{hint}' },
  invalid_params: { status: 422, template: 'invalid parameters for "{plan}": {summary}' },
  load_failed: { status: 422, template: '{problem}' },
} as const satisfies Record<string, ErrorSpec>;

/** The engine's state and its control verbs. */
export const ENGINE_ERRORS = {
  busy: { status: 409, template: 'busy with "{plan}"' },
  illegal_state: { status: 409, template: 'cannot {op}: {problem}' },
  unavailable: { status: 503, template: '{problem}' },
  locked: { status: 409, template: 'the control lock is held by {holder}{noteText}' },
} as const satisfies Record<string, ErrorSpec>;

/** Stored runs and the event stream. */
export const RUN_ERRORS = {
  unknown_run: { status: 404, template: 'no run with uid {uid}' },
  no_store: { status: 501, template: 'this server keeps no run store (serve --data DIR)' },
  replay_unavailable: { status: 410, template: 'cannot replay from seq {since}: the oldest event kept is {oldest} and the latest {latest}' },
  store_failed: { status: 503, template: 'the run store failed, so nothing can be recorded: {problem}' },
} as const satisfies Record<string, ErrorSpec>;

/** The plan queue and its history. */
export const QUEUE_ERRORS = {
  unknown_item: { status: 404, template: 'no queue item with uid {item_uid}' },
  item_not_pending: { status: 409, template: 'item {item_uid} is {status}, not pending' },
  invalid_items: { status: 422, template: '{count} of {total} items are invalid: {summary}' },
} as const satisfies Record<string, ErrorSpec>;

/** Who may do what (`serve --auth`). */
export const AUTH_ERRORS = {
  unauthorized: { status: 401, template: '{problem}' },
  forbidden: { status: 403, template: '{op} needs the {scope} scope' },
  // The front door (src/server/front-door.ts, docs/security.md): browser origin and Host rules.
  bad_origin: { status: 403, template: '{problem}' },
  bad_host: { status: 421, template: '{problem}' },
} as const satisfies Record<string, ErrorSpec>;

/** The server itself. */
export const SERVER_ERRORS = {
  shutting_down: { status: 503, template: 'the server is shutting down' },
  internal: { status: 500, template: '{problem}' },
  too_many_connections: { status: 503, template: 'the server has {open} open connections, its limit (--max-connections {max}); try again later' },
} as const satisfies Record<string, ErrorSpec>;

/** Every code, by name. */
export const ERRORS = { ...REQUEST_ERRORS, ...PLAN_ERRORS, ...ENGINE_ERRORS, ...RUN_ERRORS, ...QUEUE_ERRORS, ...AUTH_ERRORS, ...SERVER_ERRORS } as const;

export type ErrorCode = keyof typeof ERRORS;
export const ERROR_CODES = Object.keys(ERRORS) as ErrorCode[];

/** Which field of the request was wrong, and how. */
export interface ErrorDetail { path: string; message: string; expected?: string; got?: string }

/** What every protocol sends for a failed operation (HTTP's body; v2's `error`). */
export interface ErrorBody { code: ErrorCode; message: string; details: ErrorDetail[] }

/**
 * A failed operation: a catalogue code, its message (the template filled from
 * `data`), per-field details, and `data` itself for adapters that word things
 * their own way (protocol v1 speaks the Python dispatcher's sentences).
 */
export class OpError extends Error {
  readonly code: ErrorCode;
  readonly details: ErrorDetail[];
  readonly data: Readonly<Record<string, unknown>>;
  constructor(code: ErrorCode, data: Readonly<Record<string, unknown>> = {}, details: ErrorDetail[] = []) {
    super(fill(ERRORS[code].template, data));
    this.name = 'OpError';
    this.code = code;
    this.details = details;
    this.data = data;
  }

  get status(): number { return ERRORS[this.code].status; }
  get body(): ErrorBody { return { code: this.code, message: this.message, details: this.details }; }
}

/** `{name}` placeholders replaced by `data[name]` (a missing one is left empty). */
function fill(template: string, data: Readonly<Record<string, unknown>>): string {
  return template.replace(/\{(\w+)\}/g, (_m, key: string) => {
    const v = data[key];
    return v === undefined || v === null ? '' : String(v);
  });
}

/** A `bad_request` naming one field: `"path" must be EXPECTED, got GOT`. */
export function badField(path: string, expected: string, got: unknown): OpError {
  const shown = JSON.stringify(got) ?? String(got);
  return new OpError('bad_request', { problem: `"${path}" must be ${expected}, got ${shown}` }, [{ path: `/${path}`, message: `must be ${expected}`, expected, got: shown }]);
}

/** `locked`, naming the holder of the control lock and their note. */
export function lockedError(held: { readonly holder: string; readonly note: string; readonly since: number }): OpError {
  return new OpError('locked', { holder: held.holder, note: held.note, since: held.since, noteText: held.note === '' ? '' : ` (${held.note})` },
    [{ path: '', message: 'the control lock is held by another caller', got: held.holder }]);
}
