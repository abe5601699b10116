/**
 * DBR payloads: the seven base types (STRING SHORT FLOAT ENUM CHAR LONG DOUBLE), their
 * plain, STS, TIME, GR and CTRL forms, arrays of each, and the conversions between base
 * types that a server makes when a client asks for a type other than the native one.
 * Byte layouts follow EPICS base's `db_access.h` (the C structs, RISC padding included).
 * @module
 */
import { EpicsError } from '../errors.js';
import { EPICS_EPOCH_OFFSET, headerSize, padded, writeHeader } from './proto.js';

/** Base (native) types, in DBR numbering order. */
export const BASE_TYPES = ['string', 'short', 'float', 'enum', 'char', 'long', 'double'] as const;
export type BaseType = typeof BASE_TYPES[number];
/** Structure forms: each adds fields before the value. */
export const FORMS = ['plain', 'sts', 'time', 'gr', 'ctrl'] as const;
export type DbrForm = typeof FORMS[number];

/** DBR type numbers of the plain forms (`DBR_STRING` = 0 … `DBR_DOUBLE` = 6); add 7 per form. */
export const DBR = {
  STRING: 0, SHORT: 1, FLOAT: 2, ENUM: 3, CHAR: 4, LONG: 5, DOUBLE: 6,
  STS_STRING: 7, STS_SHORT: 8, STS_FLOAT: 9, STS_ENUM: 10, STS_CHAR: 11, STS_LONG: 12, STS_DOUBLE: 13,
  TIME_STRING: 14, TIME_SHORT: 15, TIME_FLOAT: 16, TIME_ENUM: 17, TIME_CHAR: 18, TIME_LONG: 19, TIME_DOUBLE: 20,
  GR_STRING: 21, GR_SHORT: 22, GR_FLOAT: 23, GR_ENUM: 24, GR_CHAR: 25, GR_LONG: 26, GR_DOUBLE: 27,
  CTRL_STRING: 28, CTRL_SHORT: 29, CTRL_FLOAT: 30, CTRL_ENUM: 31, CTRL_CHAR: 32, CTRL_LONG: 33, CTRL_DOUBLE: 34,
} as const;
const LAST_DBR = 34;

export const MAX_STRING_SIZE = 40;
const MAX_UNITS_SIZE = 8;
const MAX_ENUM_STATES = 16;
const MAX_ENUM_STRING_SIZE = 26;

/** Bytes per element of each base type. */
const VALUE_SIZE: Record<BaseType, number> = { string: 40, short: 2, float: 4, enum: 2, char: 1, long: 4, double: 8 };
/** RISC padding before the value in the STS and TIME forms. */
const STS_PAD: Record<BaseType, number> = { string: 0, short: 0, float: 0, enum: 0, char: 1, long: 0, double: 4 };
const TIME_PAD: Record<BaseType, number> = { string: 0, short: 2, float: 0, enum: 2, char: 3, long: 0, double: 4 };

/** Alarm, warning, display and control limits (GR has no control limits). */
export interface CaLimits {
  upperDisp: number; lowerDisp: number;
  upperAlarm: number; upperWarning: number; lowerWarning: number; lowerAlarm: number;
  upperCtrl: number; lowerCtrl: number;
}

/**
 * A decoded (or to-be-encoded) DBR: values always as an array, plus whatever metadata
 * the form carries. `timestamp` is UNIX seconds.
 */
export interface DbrData {
  value: number[] | string[];
  status?: number;
  severity?: number;
  timestamp?: number;
  units?: string;
  precision?: number;
  limits?: CaLimits;
  enumStrings?: string[];
}

/** What a DBR type number means. */
export interface DbrInfo {
  readonly type: number;
  readonly base: BaseType;
  readonly form: DbrForm;
  /** Bytes before the first element. */
  readonly metaSize: number;
  readonly valueSize: number;
}

function metaSize(base: BaseType, form: DbrForm): number {
  const limitsSize = (n: number): number => n * VALUE_SIZE[base];
  switch (form) {
    case 'plain': return 0;
    case 'sts': return 4 + STS_PAD[base];
    case 'time': return 12 + TIME_PAD[base];
    case 'gr':
    case 'ctrl': {
      const n = form === 'gr' ? 6 : 8;
      if (base === 'string') return 4;
      if (base === 'enum') return 6 + MAX_ENUM_STATES * MAX_ENUM_STRING_SIZE;
      if (base === 'float' || base === 'double') return 8 + MAX_UNITS_SIZE + limitsSize(n);
      return 4 + MAX_UNITS_SIZE + limitsSize(n) + (base === 'char' ? 1 : 0);
    }
  }
}

const INFO: readonly DbrInfo[] = Array.from({ length: LAST_DBR + 1 }, (_, type) => {
  const base = BASE_TYPES[type % 7] as BaseType;
  const form = FORMS[Math.floor(type / 7)] as DbrForm;
  return { type, base, form, metaSize: metaSize(base, form), valueSize: VALUE_SIZE[base] };
});

/** The layout of DBR type `type`, or null for types we do not handle (ACKT, STSACK, CLASS_NAME…). */
export function dbrInfo(type: number): DbrInfo | null {
  return INFO[type] ?? null;
}

/** The DBR type number of `base` in `form`, e.g. dbrType('double', 'time') === 20. */
export function dbrType(base: BaseType, form: DbrForm = 'plain'): number {
  return FORMS.indexOf(form) * 7 + BASE_TYPES.indexOf(base);
}

/** Unpadded payload size of `count` elements of `type`. */
export function dbrSize(info: DbrInfo, count: number): number {
  return info.metaSize + count * info.valueSize;
}

/** Padded payload size on the wire. */
export function dbrWireSize(info: DbrInfo, count: number): number {
  return padded(dbrSize(info, count));
}

function writeElement(buf: Buffer, at: number, base: BaseType, v: number | string): void {
  switch (base) {
    case 'string': {
      buf.fill(0, at, at + MAX_STRING_SIZE);
      buf.write(String(v), at, MAX_STRING_SIZE - 1, 'utf8');
      return;
    }
    case 'short': buf.writeInt16BE(toInt(v, -0x8000, 0x7fff), at); return;
    case 'enum': buf.writeUInt16BE(toInt(v, 0, 0xffff), at); return;
    case 'char': buf.writeUInt8(toInt(v, 0, 0xff), at); return;
    case 'long': buf.writeInt32BE(toInt(v, -0x80000000, 0x7fffffff), at); return;
    case 'float': buf.writeFloatBE(Number(v), at); return;
    case 'double': buf.writeDoubleBE(Number(v), at); return;
  }
}

/** C's float-to-integer cast, kept inside the type's range (a C cast of an out-of-range value is undefined). */
function toInt(v: number | string, lo: number, hi: number): number {
  const n = Math.trunc(Number(v));
  if (Number.isNaN(n)) return 0;
  return Math.min(hi, Math.max(lo, n));
}

function readElement(buf: Buffer, at: number, base: BaseType): number | string {
  switch (base) {
    case 'string': {
      const end = Math.min(buf.length, at + MAX_STRING_SIZE);
      const nul = buf.indexOf(0, at);
      return buf.toString('utf8', at, nul === -1 || nul > end ? end : nul);
    }
    case 'short': return buf.readInt16BE(at);
    case 'enum': return buf.readUInt16BE(at);
    case 'char': return buf.readUInt8(at);
    case 'long': return buf.readInt32BE(at);
    case 'float': return buf.readFloatBE(at);
    case 'double': return buf.readDoubleBE(at);
  }
}

function writeText(buf: Buffer, at: number, text: string, size: number): void {
  buf.fill(0, at, at + size);
  buf.write(text, at, size - 1, 'utf8');
}

function readText(buf: Buffer, at: number, size: number): string {
  const nul = buf.indexOf(0, at);
  const end = nul === -1 || nul > at + size ? at + size : nul;
  return buf.toString('utf8', at, end);
}

const LIMIT_ORDER = ['upperDisp', 'lowerDisp', 'upperAlarm', 'upperWarning', 'lowerWarning', 'lowerAlarm', 'upperCtrl', 'lowerCtrl'] as const;

function writeStamp(buf: Buffer, at: number, timestamp: number): void {
  const epicsSeconds = Math.max(0, timestamp - EPICS_EPOCH_OFFSET);
  const sec = Math.floor(epicsSeconds);
  buf.writeUInt32BE(sec >>> 0, at);
  buf.writeUInt32BE(Math.min(999999999, Math.round((epicsSeconds - sec) * 1e9)), at + 4);
}

/**
 * Write `count` elements of `data` as DBR `info` at `offset` of `buf` (which must hold
 * {@link dbrWireSize} bytes from there; the padding is zeroed). Values must already be of
 * the base type's kind (numbers, or strings for STRING): see {@link convertValues}.
 */
export function writeDbr(buf: Buffer, offset: number, info: DbrInfo, count: number, data: DbrData): void {
  const { base, form } = info;
  const end = offset + dbrWireSize(info, count);
  buf.fill(0, offset, offset + info.metaSize);
  if (form !== 'plain') {
    buf.writeInt16BE(data.status ?? 0, offset);
    buf.writeInt16BE(data.severity ?? 0, offset + 2);
  }
  if (form === 'time') writeStamp(buf, offset + 4, data.timestamp ?? 0);
  if ((form === 'gr' || form === 'ctrl') && base !== 'string') writeDisplayMeta(buf, offset, info, data);
  const values = data.value;
  let at = offset + info.metaSize;
  for (let i = 0; i < count; i++, at += info.valueSize) writeElement(buf, at, base, values[i] ?? (base === 'string' ? '' : 0));
  buf.fill(0, at, end);
}

function writeDisplayMeta(buf: Buffer, offset: number, info: DbrInfo, data: DbrData): void {
  const { base, form } = info;
  if (base === 'enum') {
    const strs = (data.enumStrings ?? []).slice(0, MAX_ENUM_STATES);
    buf.writeInt16BE(strs.length, offset + 4);
    strs.forEach((s, i) => writeText(buf, offset + 6 + i * MAX_ENUM_STRING_SIZE, s, MAX_ENUM_STRING_SIZE));
    return;
  }
  let at = offset + 4;
  if (base === 'float' || base === 'double') {
    buf.writeInt16BE(data.precision ?? 0, at);
    at += 4;
  }
  writeText(buf, at, data.units ?? '', MAX_UNITS_SIZE);
  at += MAX_UNITS_SIZE;
  const n = form === 'gr' ? 6 : 8;
  for (let i = 0; i < n; i++, at += info.valueSize) writeElement(buf, at, base, data.limits?.[LIMIT_ORDER[i] as keyof CaLimits] ?? 0);
}

/**
 * Decode `count` elements of DBR `info` from `payload`. A payload shorter than the count
 * implies (as servers send for a single STRING) yields what is there.
 */
export function readDbr(payload: Buffer, info: DbrInfo, count: number): DbrData {
  const { base, form } = info;
  const data: DbrData = { value: [] };
  if (form !== 'plain') {
    data.status = payload.readInt16BE(0);
    data.severity = payload.readInt16BE(2);
  }
  if (form === 'time') {
    data.timestamp = payload.readUInt32BE(4) + payload.readUInt32BE(8) / 1e9 + EPICS_EPOCH_OFFSET;
  }
  if ((form === 'gr' || form === 'ctrl') && base !== 'string') readDisplayMeta(payload, info, data);
  const out: Array<number | string> = [];
  let at = info.metaSize;
  for (let i = 0; i < count && at < payload.length; i++, at += info.valueSize) out.push(readElement(payload, at, base));
  data.value = out as number[] | string[];
  return data;
}

function readDisplayMeta(payload: Buffer, info: DbrInfo, data: DbrData): void {
  const { base, form } = info;
  if (base === 'enum') {
    const n = Math.min(MAX_ENUM_STATES, Math.max(0, payload.readInt16BE(4)));
    data.enumStrings = Array.from({ length: n }, (_, i) => readText(payload, 6 + i * MAX_ENUM_STRING_SIZE, MAX_ENUM_STRING_SIZE));
    return;
  }
  let at = 4;
  if (base === 'float' || base === 'double') {
    data.precision = payload.readInt16BE(at);
    at += 4;
  }
  data.units = readText(payload, at, MAX_UNITS_SIZE);
  at += MAX_UNITS_SIZE;
  const limits: CaLimits = { upperDisp: 0, lowerDisp: 0, upperAlarm: 0, upperWarning: 0, lowerWarning: 0, lowerAlarm: 0, upperCtrl: 0, lowerCtrl: 0 };
  const n = form === 'gr' ? 6 : 8;
  for (let i = 0; i < n; i++, at += info.valueSize) limits[LIMIT_ORDER[i] as keyof CaLimits] = readElement(payload, at, base) as number;
  data.limits = limits;
}

/** A value could not be converted between base types (a string that is no number, an unknown enum state). */
export class DbrConvertError extends EpicsError {
  constructor(message: string) {
    super('EPICS_BAD_VALUE', message);
  }
}

/** Context a conversion may need: the PV's enum strings and display precision. */
export interface ConvertContext {
  enumStrings?: readonly string[] | undefined;
  precision?: number | undefined;
}

/**
 * Convert values of base type `from` to base type `to`, as an IOC's database does for a
 * client that asks for another type: numbers format with the PV's precision, enums
 * become their state strings, and strings parse (an enum accepts its state names).
 * @throws DbrConvertError when a string is neither a number nor an enum state.
 */
export function convertValues(values: readonly (number | string)[], from: BaseType, to: BaseType, ctx: ConvertContext = {}): number[] | string[] {
  if (from === to) return values as number[] | string[];
  if (to === 'string') return values.map((v) => toText(v, from, ctx));
  return values.map((v) => {
    if (typeof v === 'number') return v;
    return fromText(v, to, ctx);
  });
}

function toText(v: number | string, from: BaseType, ctx: ConvertContext): string {
  if (typeof v === 'string') return v;
  if (from === 'enum') return ctx.enumStrings?.[v] ?? String(v);
  if ((from === 'double' || from === 'float') && ctx.precision !== undefined && ctx.precision >= 0) return v.toFixed(Math.min(ctx.precision, 17));
  return String(v);
}

function fromText(s: string, to: BaseType, ctx: ConvertContext): number {
  if (to === 'enum' && ctx.enumStrings !== undefined) {
    const i = ctx.enumStrings.indexOf(s);
    if (i >= 0) return i;
  }
  const t = s.trim();
  const n = t === '' ? Number.NaN : Number(t);
  if (Number.isNaN(n)) {
    const expected = to === 'enum' && ctx.enumStrings !== undefined ? `one of ${ctx.enumStrings.map((e) => JSON.stringify(e)).join(', ')} or a number` : 'a number';
    throw new DbrConvertError(`cannot convert ${JSON.stringify(s)} to ${to.toUpperCase()}: expected ${expected}`);
  }
  return n;
}

/** A whole message carrying `count` elements of DBR `info` (header and payload in one buffer). */
export function encodeDbrMessage(command: number, info: DbrInfo, count: number, data: DbrData, p1: number, p2: number): Buffer {
  const size = dbrWireSize(info, count);
  const buf = Buffer.allocUnsafe(headerSize(size, count) + size);
  const at = writeHeader(buf, 0, command, size, info.type, count, p1, p2);
  writeDbr(buf, at, info, count, data);
  return buf;
}
