/**
 * Errors raised by the dispatcher's library API (codes `DISPATCH_*`). The v1
 * protocol maps outcomes to the seed's exact words; these are for callers.
 * @module
 */
import { CodedError, type ErrorDetail } from '../model/errors.js';

/** A scan name registered twice (the seed's `ScanNameError`). */
export class ScanNameError extends CodedError {
  constructor(name: string) {
    super('DISPATCH_SCAN_NAME_TAKEN', `A scan function by the name "${name}" is already registered`, {
      details: [{ path: 'name', expected: 'a name not yet registered', got: name }],
    });
  }
}

/** `removeScan` / `startScan` of a name nobody registered. */
export class UnknownScanError extends CodedError {
  constructor(name: string, suggestion: string | null) {
    const hint = suggestion === null ? '' : `; did you mean "${suggestion}"?`;
    super('DISPATCH_UNKNOWN_SCAN', `No scan function is registered by the name "${name}"${hint}`, {
      details: [{ path: 'name', expected: 'a registered scan name', got: name }],
    });
  }
}

/** `unsubscribeCallback` of a token that is not (or no longer) subscribed. */
export class UnknownTokenError extends CodedError {
  constructor(token: number) {
    super('DISPATCH_UNKNOWN_TOKEN', `No callback is subscribed with token ${String(token)}`, {
      details: [{ path: 'token', expected: 'a token returned by subscribeCallback', got: String(token) }],
    });
  }
}

/** Parameters that do not match the scan's declared schema. `details` lists each problem. */
export class ParamsInvalidError extends CodedError {
  readonly scan: string;
  constructor(scan: string, summary: string, details: readonly ErrorDetail[]) {
    super('DISPATCH_PARAMS_INVALID', `Invalid parameters for "${scan}": ${summary}`, { details });
    this.scan = scan;
  }
}
