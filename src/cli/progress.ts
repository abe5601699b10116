/** A one-line state/run/progress display for `watch` and `start --wait`: a bar on a TTY, plain lines otherwise. @module */
import type { Event, ExceptionData, ProgressData, StateData } from '../protocol/v2/types.js';
import { shortUid } from './format.js';

export interface Display { event(e: Event): void; end(): void }

/** The display for stdout: a redrawn bar on a terminal, lines otherwise. */
export function displayFor(out: NodeJS.WriteStream): Display {
  return out.isTTY ? ttyDisplay(out) : plainDisplay(out);
}

/** An exception in words: "count: paused at a checkpoint — resume, stop, abort or halt", "scan: failed: ValueError: …". */
export function exceptionLine(d: ExceptionData): string {
  // `summary` is absent only from a server older than this CLI.
  return `${d.plan ?? 'plan'}: ${(d as Partial<ExceptionData>).summary ?? `${d.type}: ${d.message}`}`;
}

const uid = (u: string | null): string => (u === null ? '-' : shortUid(u));

/** `[#####-----]  50% 5/10 eta 2.0s` */
export function bar(p: ProgressData, width = 30): string {
  if (p.total === null || p.fraction === null) return `${String(p.done)} points`;
  const filled = Math.round(p.fraction * width);
  const eta = p.eta_s === null ? '' : ` eta ${p.eta_s.toFixed(1)}s`;
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(Math.round(p.fraction * 100)).padStart(3)}% ${String(p.done)}/${String(p.total)}${eta}`;
}

/** Plain lines (pipes, CI logs): one per state change and per progress step of 10%. */
export function plainDisplay(out: NodeJS.WritableStream): Display {
  let lastDecile = -1;
  return {
    event(e) {
      if (e.topic === 'state') {
        const d = e.data as StateData;
        if (d.old !== null) out.write(`state ${d.new} (was ${d.old}) plan=${d.plan ?? '-'} run=${uid(d.run_uid)}\n`);
        else out.write(`run ${uid(d.run_uid)} plan=${d.plan ?? '-'}\n`);
      } else if (e.topic === 'progress') {
        const p = e.data as ProgressData;
        const decile = p.fraction === null ? p.done : Math.floor(p.fraction * 10);
        if (decile !== lastDecile || p.done === 0) { lastDecile = decile; out.write(`progress ${bar(p)}\n`); }
      } else if (e.topic === 'exception') {
        out.write(`${exceptionLine(e.data as ExceptionData)}\n`);
      }
    },
    end() { /* nothing pending */ },
  };
}

/** A redrawn status line on a terminal. */
export function ttyDisplay(out: NodeJS.WriteStream): Display {
  let state = 'unknown';
  let plan = '-';
  let progress = '';
  const draw = (): void => { out.write(`\r\x1b[2K${state.padEnd(9)} ${plan} ${progress}`.slice(0, (out.columns || 100) + 5)); };
  return {
    event(e) {
      if (e.topic === 'state') {
        const d = e.data as StateData;
        if (d.new !== state && d.old !== null) { state = d.new; plan = d.plan ?? '-'; }
        if (d.new === 'idle') progress = '';
      } else if (e.topic === 'progress') progress = bar(e.data as ProgressData);
      else if (e.topic === 'exception') out.write(`\r\x1b[2K${exceptionLine(e.data as ExceptionData)}\n`);
      else return;
      draw();
    },
    end() { out.write('\n'); },
  };
}
