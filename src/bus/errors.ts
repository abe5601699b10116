/**
 * The bus's coded errors (`BUS_*`): each names the option or stream involved
 * and what was expected, so a bad flag is one readable line.
 * @module
 */
import { CodedError } from '../model/errors.js';

export type BusErrorCode =
  | 'BUS_BAD_URL'          // --bus is not redis://HOST[:PORT][/DB]
  | 'BUS_BAD_INSTANCE'     // --instance is not a name a stream key can carry
  | 'BUS_BAD_OPTION'       // --bus-maxlen / buffer sizes out of range
  | 'BUS_BAD_ID'           // --since is not a stream entry id
  | 'BUS_UNREACHABLE'      // a consumer could not reach Redis
  | 'BUS_BAD_ENTRY';       // a stream entry without the fields a document entry has

export class BusError extends CodedError {
  declare readonly code: BusErrorCode;
  constructor(code: BusErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(code, message, options);
  }
}
