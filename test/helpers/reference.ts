/**
 * Access to the Python recordings kept in the repository
 * (test/fixtures/python-reference, see its README) and normalisation for
 * comparing them with our output.
 * @module
 */
import { readFileSync } from 'node:fs';

/** The folder that holds `python-reference/` (paths given to readJsonl start there). */
export const REFERENCE = new URL('../fixtures/', import.meta.url);

export function readJsonl<T = unknown>(relative: string): T[] {
  return readFileSync(new URL(relative, REFERENCE), 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as T);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const SHORT = /^([a-z_]+)-[0-9a-f]{6}$/;

/** Replace random ids by placeholders, recursively. */
export function normaliseIds(x: unknown): unknown {
  if (typeof x === 'string') {
    if (UUID.test(x)) return '<uuid4>';
    const m = SHORT.exec(x);
    if (m !== null) return `${m[1] as string}-<6hex>`;
    return x;
  }
  if (Array.isArray(x)) return x.map(normaliseIds);
  if (typeof x === 'object' && x !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(x)) out[k] = normaliseIds(v);
    return out;
  }
  return x;
}

/** Deep comparison of plain data where numbers may differ by a relative 1e-12 (libm vs numpy). */
export function closeTo(a: unknown, b: unknown, path = ''): string | null {
  if (typeof a === 'number' && typeof b === 'number') {
    return Math.abs(a - b) <= 1e-12 * Math.max(1, Math.abs(a), Math.abs(b)) ? null : `${path}: ${a} != ${b}`;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return `${path}: length ${a.length} != ${b.length}`;
    for (let i = 0; i < a.length; i++) { const e = closeTo(a[i], b[i], `${path}[${i}]`); if (e !== null) return e; }
    return null;
  }
  if (typeof a === 'object' && a !== null && typeof b === 'object' && b !== null && !Array.isArray(a) && !Array.isArray(b)) {
    const ka = Object.keys(a).sort();
    const kb = Object.keys(b).sort();
    if (ka.join() !== kb.join()) return `${path}: keys ${JSON.stringify(ka)} != ${JSON.stringify(kb)}`;
    for (const k of ka) {
      const e = closeTo((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`);
      if (e !== null) return e;
    }
    return null;
  }
  return a === b ? null : `${path}: ${JSON.stringify(a)} != ${JSON.stringify(b)}`;
}
