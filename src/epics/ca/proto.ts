/**
 * Channel Access message framing: the 16-byte header (24 with the extended form for
 * large payloads), command numbers, status codes, and a reader that splits a TCP byte
 * stream or a UDP datagram into messages. Knows nothing about sockets or DBR payloads.
 * Layout from the CA protocol specification (EPICS base, "Channel Access Protocol
 * Specification" §Messages) and caproto's `_headers.py`, re-expressed.
 * @module
 */

/** The minor protocol version we speak (EPICS 3.14+ and 7 speak 13). */
export const CA_MINOR_VERSION = 13;
/** Default UDP/TCP port of CA servers (`EPICS_CA_SERVER_PORT`). */
export const DEFAULT_SERVER_PORT = 5064;
/** Default port of the CA repeater (`EPICS_CA_REPEATER_PORT`). */
export const DEFAULT_REPEATER_PORT = 5065;
/** Seconds between 1970-01-01 and the EPICS epoch 1990-01-01 (UTC). */
export const EPICS_EPOCH_OFFSET = 631152000;

/** Command numbers (the header's first field). */
export const Cmd = {
  VERSION: 0,
  EVENT_ADD: 1,
  EVENT_CANCEL: 2,
  READ: 3,
  WRITE: 4,
  SEARCH: 6,
  EVENTS_OFF: 8,
  EVENTS_ON: 9,
  READ_SYNC: 10,
  ERROR: 11,
  CLEAR_CHANNEL: 12,
  RSRV_IS_UP: 13,
  NOT_FOUND: 14,
  READ_NOTIFY: 15,
  REPEATER_CONFIRM: 17,
  CREATE_CHAN: 18,
  WRITE_NOTIFY: 19,
  CLIENT_NAME: 20,
  HOST_NAME: 21,
  ACCESS_RIGHTS: 22,
  ECHO: 23,
  REPEATER_REGISTER: 24,
  CREATE_CH_FAIL: 26,
  SERVER_DISCONN: 27,
} as const;

/** Search reply flags (the search request's data type field). */
export const DO_REPLY = 10;
export const DONT_REPLY = 5;

/** Monitor event masks (`DBE_*`). */
export const DBE_VALUE = 1;
export const DBE_LOG = 2;
export const DBE_ALARM = 4;
export const DBE_PROPERTY = 8;

/** Access rights bits of CA_PROTO_ACCESS_RIGHTS. */
export const ACCESS_READ = 1;
export const ACCESS_WRITE = 2;

/** ECA status codes: (message number << 3) | severity, as in EPICS `caerr.h`. */
export const Eca = {
  NORMAL: 1,
  BADTYPE: (14 << 3) | 2,
  GETFAIL: (19 << 3) | 0,
  PUTFAIL: (20 << 3) | 0,
  BADCOUNT: (22 << 3) | 0,
  BADSTR: (23 << 3) | 2,
  DISCONN: (24 << 3) | 0,
  NORDACCESS: (46 << 3) | 0,
  NOWTACCESS: (47 << 3) | 0,
  NOCONVERT: (50 << 3) | 0,
  BADCHID: (51 << 3) | 2,
} as const;

/** A readable name for an ECA code, for error messages. */
export function ecaName(code: number): string {
  for (const [name, value] of Object.entries(Eca)) if (value === code) return `ECA_${name}`;
  return `ECA code ${code}`;
}

/** One decoded message. `payload` is a view into the reader's buffer: copy it to keep it past the callback. */
export interface CaMessage {
  command: number;
  dataType: number;
  dataCount: number;
  p1: number;
  p2: number;
  payload: Buffer;
}

const HEADER = 16;
const EXTENDED = 24;

/** Payload sizes are padded to a multiple of 8 on the wire. */
export function padded(size: number): number {
  return (size + 7) & ~7;
}

/** Whether a message with this padded payload size and element count needs the extended header. */
function needsExtended(size: number, count: number): boolean {
  return size >= 0xffff || count > 0xffff;
}

/** Header length for a message with this padded payload size and count. */
export function headerSize(size: number, count: number): number {
  return needsExtended(size, count) ? EXTENDED : HEADER;
}

/**
 * Write a header at `offset`; `size` is the padded payload size.
 * @returns the offset just after the header.
 */
export function writeHeader(buf: Buffer, offset: number, command: number, size: number, dataType: number, dataCount: number, p1: number, p2: number): number {
  const ext = needsExtended(size, dataCount);
  buf.writeUInt16BE(command, offset);
  buf.writeUInt16BE(ext ? 0xffff : size, offset + 2);
  buf.writeUInt16BE(dataType, offset + 4);
  buf.writeUInt16BE(ext ? 0 : dataCount, offset + 6);
  buf.writeUInt32BE(p1 >>> 0, offset + 8);
  buf.writeUInt32BE(p2 >>> 0, offset + 12);
  if (!ext) return offset + HEADER;
  buf.writeUInt32BE(size, offset + 16);
  buf.writeUInt32BE(dataCount, offset + 20);
  return offset + EXTENDED;
}

/**
 * One complete message: header plus `payload` padded with zeros to a multiple of 8.
 * @example encodeMessage(Cmd.ECHO, 0, 0, 0, 0)
 */
export function encodeMessage(command: number, dataType: number, dataCount: number, p1: number, p2: number, payload?: Buffer): Buffer {
  const raw = payload?.length ?? 0;
  const size = padded(raw);
  const buf = Buffer.alloc(headerSize(size, dataCount) + size);
  const at = writeHeader(buf, 0, command, size, dataType, dataCount, p1, p2);
  if (payload !== undefined) payload.copy(buf, at);
  return buf;
}

/** A NUL-terminated string payload (channel names, host and user names), padded to 8. */
export function stringPayload(text: string): Buffer {
  const bytes = Buffer.from(text, 'utf8');
  const buf = Buffer.alloc(padded(bytes.length + 1));
  bytes.copy(buf);
  return buf;
}

/** The text of a NUL-terminated string payload. */
export function readCString(buf: Buffer, start = 0, end = buf.length): string {
  const nul = buf.indexOf(0, start);
  return buf.toString('utf8', start, nul === -1 || nul > end ? end : nul);
}

/**
 * Parse every complete message in `buf` from `offset`, calling `onMessage` for each.
 * @returns the offset of the first byte not consumed (a partial message), or -1 when
 *   the stream is corrupt (a payload size that is not a multiple of 8 is tolerated).
 */
export function parseMessages(buf: Buffer, offset: number, onMessage: (m: CaMessage) => void): number {
  let at = offset;
  while (buf.length - at >= HEADER) {
    let size = buf.readUInt16BE(at + 2);
    let count = buf.readUInt16BE(at + 6);
    let start = at + HEADER;
    if (size === 0xffff && count === 0) {
      if (buf.length - at < EXTENDED) break;
      size = buf.readUInt32BE(at + 16);
      count = buf.readUInt32BE(at + 20);
      start = at + EXTENDED;
    }
    if (buf.length - start < size) break;
    onMessage({
      command: buf.readUInt16BE(at),
      dataType: buf.readUInt16BE(at + 4),
      dataCount: count,
      p1: buf.readUInt32BE(at + 8),
      p2: buf.readUInt32BE(at + 12),
      payload: buf.subarray(start, start + size),
    });
    at = start + size;
  }
  return at;
}

/** Bytes needed from `at` for the next whole message (header first), or 0 when `buf` holds it. */
function bytesNeeded(buf: Buffer, at: number): number {
  const have = buf.length - at;
  if (have < HEADER) return HEADER;
  let size = buf.readUInt16BE(at + 2);
  let head = HEADER;
  if (size === 0xffff && buf.readUInt16BE(at + 6) === 0) {
    if (have < EXTENDED) return EXTENDED;
    size = buf.readUInt32BE(at + 16);
    head = EXTENDED;
  }
  return have >= head + size ? 0 : head + size;
}

/**
 * Splits a TCP byte stream into messages: feed it each chunk. A message split across
 * chunks is joined once, when its last byte has arrived (never re-copied per chunk,
 * so a large array in many chunks costs one copy).
 */
export class MessageReader {
  #parts: Buffer[] = [];
  #held = 0;
  /** Bytes the held partial message needs in all. */
  #need = 0;
  readonly #onMessage: (m: CaMessage) => void;

  constructor(onMessage: (m: CaMessage) => void) {
    this.#onMessage = onMessage;
  }

  push(chunk: Buffer): void {
    if (this.#held > 0) {
      this.#parts.push(chunk);
      this.#held += chunk.length;
      if (this.#held < this.#need) return;
      chunk = Buffer.concat(this.#parts, this.#held);
      this.#parts = [];
      this.#held = 0;
    }
    const used = parseMessages(chunk, 0, this.#onMessage);
    if (used >= chunk.length) return;
    // Keep a copy: the caller may reuse its buffer.
    const rest = Buffer.from(chunk.subarray(used));
    this.#parts = [rest];
    this.#held = rest.length;
    this.#need = bytesNeeded(rest, 0);
  }

  /** Bytes held back waiting for the rest of a message. */
  get pending(): number {
    return this.#held;
  }
}

/** An IPv4 address as the 32-bit number CA carries in search replies and beacons. */
export function ipToInt(ip: string): number {
  const parts = ip.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) return 0;
  return (((parts[0] as number) << 24) | ((parts[1] as number) << 16) | ((parts[2] as number) << 8) | (parts[3] as number)) >>> 0;
}

export function intToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}
