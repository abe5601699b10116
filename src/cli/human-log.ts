/**
 * `serve`'s log for people (stderr on a terminal, or `--log-format human`):
 * the ready line says where the panel and both protocols are, warnings and
 * errors read as one line each, and routine info lines stay out of the way.
 * The logger itself is unchanged (same levels, same taps feeding v2's `log`
 * topic); only the printing differs from the JSON lines.
 * @module
 */

export type LogFormat = 'human' | 'json';
export const LOG_FORMATS: readonly LogFormat[] = ['human', 'json'];

const LABELS: Record<number, string> = { 40: 'warning', 50: 'error', 60: 'fatal' };
/** pino's own fields and the connection bookkeeping: not worth a person's attention. */
const QUIET = new Set(['level', 'time', 'pid', 'hostname', 'name', 'msg', 'conn', 'peer', 'protocol']);

type Line = Record<string, unknown>;

function value(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'object' && v !== null && typeof (v as { message?: unknown }).message === 'string') return (v as { message: string }).message;
  return JSON.stringify(v);
}

/** The ready line: `bluesky-dispatcher 0.1.0 ready: panel http://…/ · v1 ws://…/ · v2 ws://…/v2 · data DIR (Ctrl-C stops)`. */
export function readyLine(o: Line): string {
  const data = typeof o.data === 'string' ? ` · data ${o.data}` : ' · no data kept';
  const version = typeof o.version === 'string' ? ` ${o.version}` : '';
  return `bluesky-dispatcher${version} ready: panel ${value(o.panel)} · v1 ${value(o.url)} · v2 ${value(o.v2)}${data} (Ctrl-C stops)`;
}

/** What a person sees for one pino JSON line, or null for nothing. */
export function humanLine(o: Line): string | null {
  if (o.msg === 'ready' && typeof o.url === 'string') return readyLine(o);
  const label = LABELS[typeof o.level === 'number' ? o.level : 0];
  if (label === undefined) return null;
  const fields = Object.entries(o).filter(([k]) => !QUIET.has(k)).map(([k, v]) => `${k}: ${value(v)}`);
  return `${label}: ${String(o.msg ?? '')}${fields.length > 0 ? ` (${fields.join(', ')})` : ''}`;
}

/** A pino destination that prints {@link humanLine}s. */
export function humanLogDestination(write: (text: string) => void = (t) => { process.stderr.write(t); }): { write(line: string): void } {
  return {
    write(line: string): void {
      let o: Line;
      try { o = JSON.parse(line) as Line; } catch { write(line); return; }
      const text = humanLine(o);
      if (text !== null) write(`${text}\n`);
    },
  };
}
