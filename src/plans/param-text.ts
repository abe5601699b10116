/**
 * Words for parameter errors: "did you mean" suggestions by edit distance,
 * bounded descriptions of received values and of what a schema accepts, and
 * the JSON-pointer paths every ParamError uses (`/detectors/1`).
 * Pure functions; allocates nothing proportional to the values described.
 * @module
 */

/** The JSON Schema subset the plan registry writes (user plans may use any draft 2020-12 schema). */
export interface JsonSchema {
  readonly type?: 'string' | 'number' | 'integer' | 'boolean' | 'array' | 'object' | 'null';
  readonly anyOf?: readonly JsonSchema[];
  readonly items?: JsonSchema;
  readonly minItems?: number;
  readonly maxItems?: number;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly properties?: Readonly<Record<string, JsonSchema>>;
  readonly required?: readonly string[];
  readonly additionalProperties?: boolean;
  readonly default?: unknown;
  readonly description?: string;
  readonly title?: string;
  readonly examples?: readonly unknown[];
  /** The string names a device (`readable`/`movable`: one with that capability); checked against the devices. */
  readonly 'x-device'?: boolean | 'readable' | 'movable';
  /** UI hint for flat `args` arrays: the items repeat in groups of this shape (one row per motor). */
  readonly 'x-row'?: readonly JsonSchema[];
  /** Which limit a `maximum`/`maxItems` is (named in the error), e.g. "the server's --max-points limit". */
  readonly 'x-limit'?: string;
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
  // Names longer than any plausible identifier are not typos; don't spend O(n·m) on them.
  if (name.length > 200) return null;
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

/**
 * JSON-like text of `x`, cut at about `budget` characters without serialising
 * the rest (a 10-million-item array costs no more than a short one).
 * Non-finite numbers print as `Infinity`/`NaN` (JSON would say `null`).
 */
export function preview(x: unknown, budget = 60): string {
  let out = '';
  const put = (s: string): boolean => {
    out += s;
    return out.length < budget;
  };
  const walk = (v: unknown): boolean => {
    if (v === null || v === undefined) return put('null');
    if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return put(String(v));
    if (typeof v === 'string') return put(JSON.stringify(v.length > budget ? v.slice(0, budget) : v));
    if (typeof v === 'function') return put('<function>');
    if (Array.isArray(v)) {
      if (!put('[')) return false;
      for (let i = 0; i < v.length; i++) if ((i > 0 && !put(',')) || !walk(v[i])) return false;
      return put(']');
    }
    if (!put('{')) return false;
    let first = true;
    for (const k in v as object) {
      if (!Object.hasOwn(v as object, k)) continue;
      if ((!first && !put(',')) || !put(`${JSON.stringify(k)}:`) || !walk((v as Record<string, unknown>)[k])) return false;
      first = false;
    }
    return put('}');
  };
  walk(x);
  return out.length > budget ? `${out.slice(0, budget - 1)}…` : out;
}

/** A short description of a received value: `"det3" (string)`, `3.5 (number)`, `an array of 2 ([1,2])`. */
export function describeValue(x: unknown): string {
  if (x === undefined) return 'nothing';
  if (x === null) return 'null';
  if (Array.isArray(x)) return `an array of ${x.length} (${preview(x)})`;
  if (typeof x === 'object') return `an object (${preview(x)})`;
  if (typeof x === 'function') return 'a function';
  return `${preview(x)} (${typeof x})`;
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

function range(s: JsonSchema): string {
  const { minimum: min, maximum: max } = s;
  if (min !== undefined && max !== undefined) return ` from ${min} to ${max}`;
  if (min !== undefined) return ` >= ${min}`;
  return max === undefined ? '' : ` <= ${max}`;
}

function itemCount(s: JsonSchema): string {
  const { minItems: min, maxItems: max } = s;
  if (min && max !== undefined) return ` (${min} to ${max} items)`;
  if (min) return ` (at least ${min})`;
  return max === undefined ? '' : ` (at most ${max} items)`;
}

/** What a schema accepts, in words: `an integer from 1 to 10000000 or null`. */
export function describeSchema(s: JsonSchema): string {
  if (s.anyOf) return s.anyOf.map(describeSchema).join(' or ');
  switch (s.type) {
    case 'string': return 'a string';
    case 'integer': return `an integer${range(s)}`;
    case 'number': return `a number${range(s)}`;
    case 'boolean': return 'true or false';
    case 'null': return 'null';
    case 'array': return `a list${s.items ? ` of ${plural(s.items)}` : ''}${itemCount(s)}`;
    case 'object': return 'an object';
    default: return 'any value';
  }
}

/** `['detectors', 1]` → `/detectors/1` (RFC 6901: `~` → `~0`, `/` → `~1`). */
export function pointer(...segments: ReadonlyArray<string | number>): string {
  return segments.map((s) => `/${String(s).replaceAll('~', '~0').replaceAll('/', '~1')}`).join('');
}

/** `/detectors/1` → `detectors[1]`, `/md/hints` → `md.hints`: how messages name a parameter. */
export function paramName(path: string): string {
  if (path === '') return 'params';
  const parts = path.slice(1).split('/').map((p) => p.replaceAll('~1', '/').replaceAll('~0', '~'));
  return parts.map((p, i) => (i > 0 && /^\d+$/.test(p) ? `[${p}]` : i > 0 ? `.${p}` : p)).join('');
}
