/**
 * Hostile JSON: a frame's nesting depth, measured before anything recurses into
 * it. V8's JSON.parse is iterative and takes 100,000 levels in a few ms, but the
 * code after it (schema checks, JSON.stringify of an echo, structuredClone to the
 * engine's thread) recurses and overflows the stack. One linear scan over the
 * text, skipping strings, is cheaper than a depth-limited parser written in
 * JavaScript (see docs/security.md for the measured cost).
 * @module
 */
import { OpError } from '../ops/index.js';

/** Deepest nesting of arrays/objects a request may have. Python's json takes ~1000; plans and metadata need a handful. */
export const MAX_JSON_DEPTH = 64;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

/**
 * True when `text`, read as JSON, nests arrays/objects deeper than `max`.
 * Brackets inside strings do not count; malformed text is judged by the same
 * rule (JSON.parse refuses it afterwards anyway).
 */
export function tooDeep(text: string, max = MAX_JSON_DEPTH): boolean {
  // A frame needs more than `max` characters to nest deeper than `max`: most frames end here.
  if (text.length <= max) return false;
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      // Skip the string: to the next quote not escaped by a backslash.
      for (i++; i < text.length; i++) {
        const s = text.charCodeAt(i);
        if (s === BACKSLASH) i++;
        else if (s === QUOTE) break;
      }
    } else if (c === OPEN_BRACKET || c === OPEN_BRACE) {
      if (++depth > max) return true;
    } else if (c === CLOSE_BRACKET || c === CLOSE_BRACE) {
      depth--;
    }
  }
  return false;
}

/** The refusal of a request (a v2 frame, an HTTP body) nested deeper than MAX_JSON_DEPTH. */
export function tooDeepError(what: 'frame' | 'body'): OpError {
  return new OpError('bad_request', { problem: `the ${what} nests arrays/objects deeper than ${String(MAX_JSON_DEPTH)} levels` },
    [{ path: '', message: 'nested too deeply', expected: `at most ${String(MAX_JSON_DEPTH)} levels of nesting`, got: `more than ${String(MAX_JSON_DEPTH)}` }]);
}

export type ParsedFrame = { ok: true; value: unknown } | { ok: false; reason: 'not_json' | 'too_deep'; value?: unknown };

/**
 * JSON.parse with a depth limit. A frame too deep is still parsed (safe: the
 * parser does not recurse) so the caller can answer it by its `id` or honour its
 * `keep_open`, but its value must only be looked at one level down.
 */
export function parseFrame(text: string, maxDepth = MAX_JSON_DEPTH): ParsedFrame {
  let value: unknown;
  try { value = JSON.parse(text); } catch { return { ok: false, reason: 'not_json' }; }
  if (tooDeep(text, maxDepth)) return { ok: false, reason: 'too_deep', value };
  return { ok: true, value };
}
