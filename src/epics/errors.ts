/**
 * Errors of the EPICS Channel Access client, server and devices (codes `EPICS_*`).
 * Every message names the PV (or the file and key) it is about and what was expected.
 * @module
 */
import { CodedError, type ErrorDetail } from '../model/errors.js';

/** The codes this area may raise; a released code is never reused. */
export const EPICS_CODES = [
  'EPICS_CONNECT_TIMEOUT',
  'EPICS_DISCONNECTED',
  'EPICS_TIMEOUT',
  'EPICS_GET_FAILED',
  'EPICS_PUT_FAILED',
  'EPICS_NO_WRITE_ACCESS',
  'EPICS_BAD_VALUE',
  'EPICS_LIMIT',
  'EPICS_MOVE_STOPPED',
  'EPICS_CLOSED',
  'EPICS_CONFIG_INVALID',
  'EPICS_DEVICES_UNAVAILABLE',
  'EPICS_LISTEN_FAILED',
] as const;
export type EpicsCode = typeof EPICS_CODES[number];

/** Base of every error this area raises; `pv` names the channel when there is one. */
export class EpicsError extends CodedError {
  readonly pv: string | null;
  constructor(code: EpicsCode, message: string, options: { pv?: string; cause?: unknown; details?: readonly ErrorDetail[] } = {}) {
    super(code, message, options);
    this.pv = options.pv ?? null;
  }
}

/** No server answered the search (or the circuit did not come up) in time. */
export class ConnectTimeoutError extends EpicsError {
  constructor(pv: string, seconds: number, searched: string) {
    super('EPICS_CONNECT_TIMEOUT', `${pv}: not connected after ${seconds} s (no CA server answered the search; searched ${searched})`, { pv });
  }
}

/** The channel was (or became) disconnected while an operation needed it. */
export class DisconnectedError extends EpicsError {
  constructor(pv: string, during: string) {
    super('EPICS_DISCONNECTED', `${pv}: disconnected ${during}`, { pv });
  }
}

/** The server did not answer a get or put in time. */
export class CaTimeoutError extends EpicsError {
  constructor(pv: string, what: string, seconds: number) {
    super('EPICS_TIMEOUT', `${pv}: no reply to ${what} within ${seconds} s`, { pv });
  }
}

/** A value that cannot go into (or come out of) a channel's type. */
export class BadValueError extends EpicsError {
  constructor(pv: string, message: string) {
    super('EPICS_BAD_VALUE', `${pv}: ${message}`, { pv });
  }
}

/** A move outside a motor's soft limits (ophyd's `LimitError`), refused before moving. */
export class LimitError extends EpicsError {
  constructor(device: string, pv: string, value: number, low: number, high: number) {
    super('EPICS_LIMIT', `${device}: ${value} is outside the soft limits [${low}, ${high}] of ${pv}; not moving`, {
      pv, details: [{ path: 'value', expected: `between ${low} and ${high}`, got: String(value) }],
    });
  }
}

/** A problem in a device configuration file (one message naming the key). */
export class ConfigError extends EpicsError {
  constructor(message: string, details: readonly ErrorDetail[] = []) {
    super('EPICS_CONFIG_INVALID', message, { details });
  }
}
