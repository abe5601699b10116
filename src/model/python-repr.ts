/**
 * Python `repr()` of plain values: simulated devices print as ophyd objects do (those
 * strings end up in `plan_args` of start documents) and protocol v1 replies quote as the
 * Python dispatcher did. Formatting only.
 * @module
 */

/** Python's `repr(float)`: shortest round-trip digits, exponent form below 1e-4 or from 1e16. */
export function pyFloatRepr(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const [mantissa = '0', expText = '0'] = x.toExponential().split('e');
  const exp = Number(expText);
  if (exp < -4 || exp >= 16) {
    const sign = exp < 0 ? '-' : '+';
    return `${mantissa}e${sign}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  const text = String(x);
  return Number.isInteger(x) ? `${text}.0` : text;
}

/** Python's `repr(str)`: single quotes unless the text has a single quote and no double one. */
export function pyStrRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = '';
  for (const ch of s) {
    const c = ch.codePointAt(0) ?? 0;
    if (ch === '\\') out += '\\\\';
    else if (ch === quote) out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return `${quote}${out}${quote}`;
}

/**
 * Python-like `repr()` of a JSON-ish value. Integral numbers print as Python ints
 * (JavaScript cannot tell `1` from `1.0`); use {@link pyFloatRepr} where the value is a float.
 * @example pyRepr(['readback', 'setpoint']) // "['readback', 'setpoint']"
 */
export function pyRepr(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : pyFloatRepr(value);
  if (typeof value === 'bigint') return String(value);
  if (typeof value === 'string') return pyStrRepr(value);
  if (Array.isArray(value)) return `[${value.map(pyRepr).join(', ')}]`;
  if (typeof value === 'object') {
    const custom = (value as { repr?: unknown }).repr;
    if (typeof custom === 'function') return String(custom.call(value));
    const items = Object.entries(value).map(([k, v]) => `${pyStrRepr(k)}: ${pyRepr(v)}`);
    return `{${items.join(', ')}}`;
  }
  return String(value);
}

/**
 * numpy's repr of a float array whose values are all integral (e.g. `np.ones((10, 10))`):
 * `array([[1., 1.],\n       [1., 1.]])`. Other arrays fall back to {@link pyRepr}.
 */
export function npFloatArrayRepr(value: unknown): string {
  const flat: number[] = [];
  const collect = (v: unknown): boolean => {
    if (Array.isArray(v)) return v.every(collect);
    if (typeof v === 'number' && Number.isInteger(v)) { flat.push(v); return true; }
    return false;
  };
  if (!Array.isArray(value) || !collect(value)) return `array(${pyRepr(value)})`;
  const width = Math.max(...flat.map((n) => `${n}.`.length));
  const render = (v: unknown, depth: number): string => {
    if (!Array.isArray(v)) return `${String(v)}.`.padStart(width);
    const inner = v.map((item) => render(item, depth + 1));
    const sep = Array.isArray(v[0]) ? `,\n${' '.repeat(7 + depth)}` : ', ';
    return `[${inner.join(sep)}]`;
  };
  return `array(${render(value, 0)})`;
}
