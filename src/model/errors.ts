/**
 * Error classes shared by plans, devices and the engine. Names follow bluesky's
 * (`RequestStop`, `PlanHalt`, `FailedStatus`, ...) so users recognise them; each
 * carries a stable `code` (see docs/errors.md). Imports nothing.
 * @module
 */

/** JSON-safe detail about what was wrong. */
export interface ErrorDetail {
  readonly path?: string;
  readonly expected?: string;
  readonly got?: string;
  readonly message?: string;
}

/** Base class: a readonly stable `code` plus JSON-safe `details`. */
export class CodedError extends Error {
  readonly code: string;
  readonly details: readonly ErrorDetail[];
  constructor(code: string, message: string, options: { cause?: unknown; details?: readonly ErrorDetail[] } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details ?? [];
    this.name = new.target.name;
  }
}

/** Thrown into a plan by `stop()`; `exitStatus` is what `run_wrapper` writes in the stop document. */
export class RequestStop extends CodedError {
  readonly exitStatus = 'success' as const;
  constructor(message = '') { super('ENGINE_REQUEST_STOP', message); }
}

/** Thrown into a plan by `abort(reason)`. */
export class RequestAbort extends CodedError {
  readonly exitStatus = 'abort' as const;
  constructor(message = '') { super('ENGINE_REQUEST_ABORT', message); }
}

/** Control exceptions plans may catch to close their run with the right exit status. */
export type RunEngineControlException = RequestStop | RequestAbort;
export function isControlException(e: unknown): e is RunEngineControlException {
  return e instanceof RequestStop || e instanceof RequestAbort;
}

/**
 * Python's `GeneratorExit`: a plan being closed. JavaScript has no such
 * exception, so wrappers must test {@link isGeneratorExit} and rethrow it
 * without running cleanup plans (bluesky spec §16.2).
 */
export class GeneratorExit extends CodedError {
  constructor(message = '') { super('ENGINE_GENERATOR_EXIT', message); }
}

/** Thrown into a plan by `halt()`: like `GeneratorExit`, it skips plan-side cleanup. */
export class PlanHalt extends GeneratorExit {
  constructor(message = '') {
    super(message);
    (this as { code: string }).code = 'ENGINE_PLAN_HALT';
  }
}

/** True for errors that a plan must not treat as ordinary (`except Exception` would not catch them in Python). */
export function isGeneratorExit(e: unknown): e is GeneratorExit {
  return e instanceof GeneratorExit;
}

/** Raised by `run()`/`resume()` when the plan paused or was stopped, aborted or halted. */
export class RunEngineInterrupted extends CodedError {
  constructor(message: string) { super('ENGINE_INTERRUPTED', message); }
}

/** A message arrived out of order (double `open_run`, `save` without `create`, ...). */
export class IllegalMessageSequence extends CodedError {
  constructor(message: string) { super('ENGINE_ILLEGAL_MESSAGE_SEQUENCE', message); }
}

/** A pause or suspension was requested while the plan was not resumable. */
export class FailedPause extends CodedError {
  constructor(message = '') { super('ENGINE_FAILED_PAUSE', message); }
}

/** A device Status failed; `status` is the Status, `cause` the device's error. */
export class FailedStatus extends CodedError {
  readonly status: unknown;
  constructor(status: unknown, cause?: unknown) {
    super('ENGINE_FAILED_STATUS', `${String(status)}`, { cause });
    this.status = status;
  }
}

/** A device's `pause()` may throw this to forbid replaying messages before it. */
export class NoReplayAllowed extends CodedError {
  constructor(message = '') { super('DEVICE_NO_REPLAY_ALLOWED', message); }
}

/** Unknown command (a KeyError in Python: its text is the quoted command name). */
export class InvalidCommand extends CodedError {
  readonly command: string;
  constructor(command: string) {
    super('ENGINE_INVALID_COMMAND', `'${command}'`);
    this.command = command;
  }
}

/** Python's TimeoutError raised by `wait`/`wait_for` timeouts. */
export class WaitForTimeoutError extends CodedError {
  constructor(message = 'Plan failed to complete in the specified time') { super('ENGINE_WAIT_TIMEOUT', message); }
}

/** An illegal state change or a control verb in the wrong state (a RuntimeError in Python). */
export class TransitionError extends CodedError {
  constructor(message: string) { super('ENGINE_ILLEGAL_TRANSITION', message); }
}

/** Python's RuntimeError raised by the engine for API misuse (e.g. run() while not idle). */
export class RunEngineError extends CodedError {
  constructor(code: string, message: string) { super(code, message); }
}

/** A document failed event-model validation (jsonschema ValidationError / EventModelValidationError). */
export class DocumentValidationError extends CodedError {
  constructor(message: string, details: readonly ErrorDetail[] = []) {
    super('ENGINE_DOCUMENT_INVALID', message, { details });
  }
}

/** A device does not implement a protocol a command requires (bluesky `check_supports`). */
export class ProtocolError extends CodedError {
  constructor(obj: unknown, protocol: string) {
    super('DEVICE_PROTOCOL_MISSING', `${deviceLabel(obj)} does not implement all ${protocol} methods`);
  }
}

/** Plan argument errors (Python's ValueError / TypeError raised by plans). */
export class PlanArgumentError extends CodedError {
  constructor(message: string, details: readonly ErrorDetail[] = []) {
    super('PLAN_ARGUMENT_INVALID', message, { details });
  }
}

/** A device's operation failed (move out of limits, simulated failure ...). */
export class DeviceError extends CodedError {
  constructor(message: string, cause?: unknown) { super('DEVICE_OPERATION_FAILED', message, { cause }); }
}

function deviceLabel(obj: unknown): string {
  if (obj !== null && typeof obj === 'object' && 'name' in obj) return String((obj as { name: unknown }).name);
  return String(obj);
}

/** Python-like representation of an error: `Name('message')`, used on the v1 wire. */
export function errorRepr(e: unknown): string {
  if (e instanceof Error) {
    const text = e.message;
    const quoted = text.includes("'") && !text.includes('"') ? `"${text}"` : `'${text.replaceAll("'", "\\'")}'`;
    return `${e.name}(${quoted})`;
  }
  return String(e);
}
