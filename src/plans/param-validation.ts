/**
 * Parameter checking for plans started by name: a small JSON Schema subset with messages naming the
 * parameter, what was expected and what was received, plus "did you mean" suggestions by edit distance.
 * @module
 */

/** One problem with a plan's parameters. */
export interface ParamError {
  /** Where: `num`, `detectors[1]`, `args[3]`... (`''` for the whole params object). */
  readonly path: string;
  readonly message: string;
  readonly expected: string;
  readonly got: string;
}

/** The JSON Schema subset the plan registry uses. */
export interface JsonSchema {
  readonly type?: 'string' | 'number' | 'integer' | 'boolean' | 'array' | 'object' | 'null';
  readonly anyOf?: readonly JsonSchema[];
  readonly items?: JsonSchema;
  readonly minItems?: number;
  readonly minimum?: number;
  readonly properties?: Readonly<Record<string, JsonSchema>>;
  readonly required?: readonly string[];
  readonly additionalProperties?: boolean;
  readonly default?: unknown;
  readonly description?: string;
  readonly title?: string;
  readonly examples?: readonly unknown[];
  /** UI hint: the string names a device (`readable`/`movable`: of that kind). */
  readonly 'x-device'?: boolean | 'readable' | 'movable';
  /** UI hint for flat `args` arrays: the items repeat in groups of this shape (one row per motor). */
  readonly 'x-row'?: readonly JsonSchema[];
}

/** Optimal-string-alignment distance: insert, delete, substitute, or swap two neighbours. */
export function editDistance(a: string, b: string): number {
  const rows: number[][] = [Array.from({ length: b.length + 1 }, (_, j) => j)];
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const up = rows[i - 1] ?? [];
      let d = Math.min((up[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (up[j - 1] ?? 0) + cost);
      // A swapped pair ("dte1" for "det1") is one typo, not two.
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, (rows[i - 2]?.[j - 2] ?? 0) + 1);
      row.push(d);
    }
    rows.push(row);
  }
  return rows[a.length]?.[b.length] ?? 0;
}

/**
 * The closest candidate if it is close enough to be a plausible typo, else null.
 * Case differences cost nothing; on a tie the first candidate wins.
 */
export function suggest(name: string, candidates: Iterable<string>): string | null {
  const limit = Math.max(2, Math.floor(name.length / 3));
  let best: string | null = null;
  let bestScore = Infinity;
  for (const c of candidates) {
    const d = editDistance(name.toLowerCase(), c.toLowerCase());
    if (d <= limit && d < bestScore) { best = c; bestScore = d; }
  }
  return best;
}

/** `" (did you mean "x"?)"` or `""`. */
export function didYouMean(name: string, candidates: Iterable<string>): string {
  const s = suggest(name, candidates);
  return s === null ? '' : ` (did you mean "${s}"?)`;
}

/** A short description of a received value: `"det3" (string)`, `3.5 (number)`, `an array of 2`. */
export function describeValue(x: unknown): string {
  if (x === undefined) return 'nothing';
  if (x === null) return 'null';
  if (Array.isArray(x)) return `an array of ${x.length} (${truncate(JSON.stringify(x))})`;
  if (typeof x === 'object') return `an object (${truncate(safeJson(x))})`;
  if (typeof x === 'function') return 'a function';
  return `${truncate(JSON.stringify(x) ?? String(x))} (${typeof x})`;
}

function safeJson(x: unknown): string {
  try { return JSON.stringify(x) ?? String(x); } catch { return String(x); }
}

function truncate(s: string, max = 60): string {
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

function plural(s: JsonSchema): string {
  if (s.anyOf) return s.anyOf.map(plural).join(' / ');
  switch (s.type) {
    case 'string': return 'strings';
    case 'integer': return 'integers';
    case 'number': return 'numbers';
    case 'boolean': return 'booleans';
    case 'null': return 'nulls';
    case 'array': return s.items ? `lists of ${plural(s.items)}` : 'lists';
    case 'object': return 'objects';
    default: return 'values';
  }
}

/** What a schema accepts, in words: `an integer >= 1 or null`. */
export function describeSchema(s: JsonSchema): string {
  if (s.anyOf) return s.anyOf.map(describeSchema).join(' or ');
  const min = s.minimum === undefined ? '' : ` >= ${s.minimum}`;
  switch (s.type) {
    case 'string': return 'a string';
    case 'integer': return `an integer${min}`;
    case 'number': return `a number${min}`;
    case 'boolean': return 'true or false';
    case 'null': return 'null';
    case 'array': return `a list${s.items ? ` of ${plural(s.items)}` : ''}${s.minItems ? ` (at least ${s.minItems})` : ''}`;
    case 'object': return 'an object';
    default: return 'any value';
  }
}

function typeMatches(type: JsonSchema['type'], x: unknown): boolean {
  switch (type) {
    case undefined: return true;
    case 'null': return x === null;
    case 'array': return Array.isArray(x);
    case 'object': return typeof x === 'object' && x !== null && !Array.isArray(x);
    case 'integer': return typeof x === 'number' && Number.isInteger(x);
    case 'number': return typeof x === 'number' && Number.isFinite(x);
    default: return typeof x === type;
  }
}

function mismatch(path: string, s: JsonSchema, x: unknown, what: string): ParamError {
  const expected = describeSchema(s);
  return { path, message: `${what} must be ${expected}, got ${describeValue(x)}`, expected, got: describeValue(x) };
}

/**
 * Check `x` against `s`. `what` names the value in messages (`parameter "num"`).
 * Object properties are not descended into here (the registry reports unknown
 * and missing parameters itself).
 */
export function checkValue(s: JsonSchema, x: unknown, path: string, what: string): ParamError[] {
  if (s.anyOf) {
    return s.anyOf.some((b) => checkValue(b, x, path, what).length === 0) ? [] : [mismatch(path, s, x, what)];
  }
  if (!typeMatches(s.type, x)) return [mismatch(path, s, x, what)];
  if (s.minimum !== undefined && typeof x === 'number' && x < s.minimum) return [mismatch(path, s, x, what)];
  if (Array.isArray(x)) {
    if (s.minItems !== undefined && x.length < s.minItems) return [mismatch(path, s, x, what)];
    const items = s.items;
    if (items) return x.flatMap((item, i) => checkValue(items, item, `${path}[${i}]`, `item ${i} of ${what}`));
  }
  return [];
}
