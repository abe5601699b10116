/** The live table of the run's newest events, and the console (exceptions, server log, refused requests). @module */
import { useEffect, useRef } from 'preact/hooks';
import { cell } from '../format.js';
import type { LiveRun } from '../live-run.js';
import type { ConsoleLine } from '../panel-model.js';

const SHOWN = 50;

export function EventTable({ run }: { run: LiveRun | null }) {
  if (run === null) return <p class="empty">No events yet.</p>;
  const cols = run.columns.length > 0 ? run.columns : [];
  const rows = run.latestRows(SHOWN);
  return (
    <div class="table-wrap" tabIndex={0} aria-label="events of the current run, newest first">
      <table class="events" data-testid="events" data-count={run.events}>
        <caption>{run.events} event{run.events === 1 ? '' : 's'}{run.events > SHOWN ? ` (newest ${String(SHOWN)} shown)` : ''}</caption>
        <thead><tr><th scope="col">seq</th><th scope="col">time</th>{cols.map((c) => <th scope="col" key={c}>{c}</th>)}</tr></thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.seq_num}>
              <td>{r.seq_num}</td>
              <td>{new Date(r.time * 1000).toLocaleTimeString()}</td>
              {cols.map((c) => <td key={c}>{cell(r.data[c])}</td>)}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function ConsolePane({ lines }: { lines: readonly ConsoleLine[] }) {
  const end = useRef<HTMLDivElement>(null);
  const last = lines[lines.length - 1]?.id;
  useEffect(() => { end.current?.scrollIntoView({ block: 'nearest' }); }, [last]);
  return (
    <section class="console" aria-label="console">
      <h2>Console</h2>
      <div class="console-lines" role="log" aria-live="polite" tabIndex={0} data-testid="console">
        {lines.length === 0 ? <p class="empty">Exceptions and server log lines appear here.</p> : null}
        {lines.slice(-300).map((l) => (
          <div key={l.id} class={`line ${l.level}`}>
            <time>{new Date(l.time * 1000).toLocaleTimeString()}</time> <span class="level">{l.level}</span> {l.text}
          </div>
        ))}
        <div ref={end} />
      </div>
    </section>
  );
}
