/** The v2 error: a stable code, a human message and per-field details (the table in docs/protocol-v2.md). @module */
import type { ErrorBody, ErrorCode, ErrorDetail } from './types.js';

export class V2Error extends Error {
  readonly code: ErrorCode;
  readonly details: ErrorDetail[];
  constructor(code: ErrorCode, message: string, details: ErrorDetail[] = []) {
    super(message);
    this.name = 'V2Error';
    this.code = code;
    this.details = details;
  }

  get body(): ErrorBody { return { code: this.code, message: this.message, details: this.details }; }
}

/** A `bad_request` naming one field. */
export function badField(path: string, expected: string, got: unknown): V2Error {
  const shown = JSON.stringify(got) ?? String(got);
  return new V2Error('bad_request', `"${path}" must be ${expected}, got ${shown}`, [{ path: `/${path}`, message: `must be ${expected}`, expected, got: shown }]);
}
