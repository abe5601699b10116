/**
 * The recordings' line layouts: documents as suitcase-jsonl `[name, doc]`
 * lines, and messages as `{command, obj, args, kwargs, run}` with devices
 * written by name (`{"__device__": name}` inside args/kwargs).
 * @module
 */
import type { Msg } from '../model/msg.js';

function isDevice(x: unknown): x is { name: string } {
  return typeof x === 'object' && x !== null && typeof (x as { name?: unknown }).name === 'string' &&
    (typeof (x as { read?: unknown }).read === 'function' || typeof (x as { set?: unknown }).set === 'function' ||
      typeof (x as { kickoff?: unknown }).kickoff === 'function');
}

function plain(x: unknown): unknown {
  if (isDevice(x)) return { __device__: x.name };
  if (Array.isArray(x)) return x.map(plain);
  if (typeof x === 'function') return `<function ${x.name || 'anonymous'}>`;
  if (typeof x === 'object' && x !== null) {
    if (typeof (x as { addCallback?: unknown }).addCallback === 'function') return String(x);
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(x)) out[k] = plain(v);
    return out;
  }
  return x === undefined ? null : x;
}

/** One line of a `.msgs.jsonl` recording. */
export function msgRecord(m: Msg): { command: string; obj: unknown; args: unknown; kwargs: unknown; run: unknown } {
  return {
    command: m.command,
    obj: isDevice(m.obj) ? m.obj.name : plain(m.obj),
    args: plain(m.args),
    kwargs: plain(m.kwargs),
    run: plain(m.run),
  };
}

/** One suitcase-jsonl line (no trailing newline). */
export function documentLine(name: string, doc: unknown): string {
  return JSON.stringify([name, doc]);
}
