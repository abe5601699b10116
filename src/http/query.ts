/**
 * Query strings into an op's params: every value arrives as text, so each is
 * converted by the op's own parameter schema (numbers, booleans; TypeBox's
 * `Value.Convert`), and a parameter whose schema is an object, an array or
 * anything-goes (`validate`'s `params`, `md`) is read as JSON. The result is
 * then checked by `invoke` like any other protocol's params: nothing is
 * validated here, so a value that does not convert reaches the check as text
 * and is reported with the field's name.
 * @module
 */
import type { TSchema } from 'typebox';
import { Value } from 'typebox/value';

type Schema = Record<string, unknown>;

/** The JSON types a schema admits (undefined: anything). */
function typesOf(s: Schema): Set<string> | undefined {
  if (typeof s.type === 'string') return new Set([s.type]);
  if (Array.isArray(s.type)) return new Set(s.type as string[]);
  const members = (s.anyOf ?? s.oneOf) as Schema[] | undefined;
  if (Array.isArray(members)) {
    const all = new Set<string>();
    for (const m of members) {
      const t = typesOf(m);
      if (t === undefined) return undefined;
      for (const x of t) all.add(x);
    }
    return all;
  }
  return undefined;
}

const SCALARS = new Set(['string', 'number', 'integer', 'boolean', 'null']);

/** A JSON number literal. */
const DECIMAL = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

/** A parameter that a query string can only carry as JSON text. */
function wantsJson(s: Schema | undefined): boolean {
  if (s === undefined) return false;
  const types = typesOf(s);
  return types === undefined || [...types].some((t) => !SCALARS.has(t));
}

/**
 * `query` (as parsed: each value a string, or an array of strings for a
 * repeated key) as the params of an op with parameter schema `schema`.
 */
export function paramsFromQuery(schema: TSchema, query: Record<string, unknown>): Record<string, unknown> {
  const props = ((schema as unknown as Schema).properties ?? {}) as Record<string, Schema>;
  const out: Record<string, unknown> = {};
  for (const [key, raw] of Object.entries(query)) {
    // Own keys only, never the prototype's (`?__proto__=...` becomes a plain, unknown parameter).
    const prop = Object.hasOwn(props, key) ? props[key] : undefined;
    if (typeof raw === 'string' && wantsJson(prop) && !(typesOf(prop ?? {})?.has('string') ?? false)) {
      try { out[key] = JSON.parse(raw) as unknown; } catch { out[key] = raw; }
    } else {
      out[key] = raw;
    }
  }
  // Numbers and booleans by the schema; what does not convert stays as it was, for the check to name.
  const texts = { ...out }; // Convert may change `out` in place
  const converted = Value.Convert(schema, out) as Record<string, unknown>;
  // Convert reads numbers leniently: "1.5" as the integer 1, "" as 0, "0x10" as 16. A query number is
  // read as a JSON body's would be: a decimal literal, its exact value (1.5 is then refused as no
  // integer), or else the text, which the check names.
  for (const [key, raw] of Object.entries(texts)) {
    if (typeof raw === 'string' && typeof converted[key] === 'number') converted[key] = DECIMAL.test(raw) ? Number(raw) : raw;
  }
  return converted;
}
