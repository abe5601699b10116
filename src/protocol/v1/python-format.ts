/**
 * Python's spellings, which v1 clients see verbatim: `json.dumps` (", " and
 * ": " separators, ASCII-only), `repr()` of strings and exceptions, and
 * `str(datetime)` of an aware UTC time.
 * @module
 */
import { pyStrRepr } from '../../model/python-repr.js';

export { pyStrRepr };

/** Python `json.dumps(value)` with its defaults, keys in insertion order. */
export function pyJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return pyJsonString(value);
  if (typeof value === 'number') return pyNumber(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (Array.isArray(value)) return `[${value.map(pyJson).join(', ')}]`;
  if (typeof value === 'object') {
    const parts = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    return `{${parts.map(([k, v]) => `${pyJsonString(k)}: ${pyJson(v)}`).join(', ')}}`;
  }
  return pyJsonString(String(value));
}

/** JSON string with Python's `ensure_ascii=True` escaping (everything outside space..~). */
export function pyJsonString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x22) out += '\\"';
    else if (c === 0x5c) out += '\\\\';
    else if (c >= 0x20 && c <= 0x7e) out += s[i];
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x0d) out += '\\r';
    else if (c === 0x09) out += '\\t';
    else if (c === 0x08) out += '\\b';
    else if (c === 0x0c) out += '\\f';
    else out += `\\u${c.toString(16).padStart(4, '0')}`;
  }
  return `${out}"`;
}

/**
 * A JSON number as Python prints it. Integral values print as ints (JSON.parse
 * cannot tell 1 from 1.0); other floats use Python's exponent thresholds.
 * NaN and ±Infinity print as `null` (as JSON.stringify does): Python's json
 * would write the bare `NaN`/`Infinity` that strict JSON parsers refuse. Parameters
 * are checked to be finite before a start is accepted, so this is a last line of defence.
 */
export function pyNumber(x: number): string {
  if (!Number.isFinite(x)) return 'null';
  if (Number.isInteger(x) && Math.abs(x) < 1e16) return String(x);
  const [mantissa = '0', expText = '0'] = x.toExponential().split('e');
  const exp = Number(expText);
  if (exp < -4 || exp >= 16) return `${mantissa}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  return String(x);
}

/** Python `repr(exception)`: `Name('message')`, or `Name()` without a message. */
export function pyExceptionRepr(e: unknown): string {
  if (e instanceof Error) return e.message === '' ? `${e.name}()` : `${e.name}(${pyStrRepr(e.message)})`;
  if (typeof e === 'string') return `Exception(${pyStrRepr(e)})`;
  return `Exception(${pyStrRepr(String(e))})`;
}

/** Python `str(datetime)` of an aware UTC time given in microseconds since the epoch. */
export function pyUtcDatetime(epochMicros: number): string {
  const micros = ((epochMicros % 1_000_000) + 1_000_000) % 1_000_000;
  const iso = new Date((epochMicros - micros) / 1000).toISOString(); // 2020-06-01T02:55:35.000Z
  const fraction = micros === 0 ? '' : `.${String(micros).padStart(6, '0')}`; // Python omits a zero fraction
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${fraction}+00:00`;
}
