/**
 * The live table of the run's newest events (a fixed number of rows, however
 * long the run), and the console (exceptions, server log, refused requests).
 * @module
 */
import { useEffect, useMemo, useRef } from 'preact/hooks';
import { cell, clock } from '../format.js';
import type { LiveRun } from '../live-run.js';
import type { ConsoleLine } from '../panel-model.js';
import { useThrottled } from './use-model.js';

const SHOWN = 50;

/** How often the table follows a fast run: ten times a second is as fast as anyone reads. */
const TABLE_MS = 100;

export function EventTable({ run, version }: { run: LiveRun | null; version: number }) {
  const shown = useThrottled(version, TABLE_MS);
  const body = useMemo(() => {
    if (run === null) return null;
    const cols = run.columns;
    // Rows keyed by position: a new frame rewrites the cells' text instead of replacing 50 rows.
    return run.latestRows(SHOWN).map((r, i) => (
      <tr key={i}>
        <td>{r.seq_num}</td>
        <td>{clock(r.time)}</td>
        {cols.map((c) => <td key={c}>{cell(r.data[c])}</td>)}
      </tr>
    ));
  }, [run, shown]);
  if (run === null) return <p class="empty">No events yet.</p>;
  return (
    <div class="table-wrap" tabIndex={0} aria-label="events of the current run, newest first">
      <table class="events" data-testid="events" data-count={run.events} data-shown={body?.length ?? 0}>
        <caption>{run.events} event{run.events === 1 ? '' : 's'}{run.events > SHOWN ? ` (newest ${String(SHOWN)} shown)` : ''}</caption>
        <thead><tr><th scope="col">seq</th><th scope="col">time</th>{run.columns.map((c) => <th scope="col" key={c}>{c}</th>)}</tr></thead>
        <tbody>{body}</tbody>
      </table>
    </div>
  );
}

export function ConsolePane({ lines }: { lines: readonly ConsoleLine[] }) {
  const box = useRef<HTMLDivElement>(null);
  const pinned = useRef(true);
  const last = lines[lines.length - 1]?.id;
  // Follow new lines by scrolling the console itself (never the page), unless the reader scrolled up.
  useEffect(() => { const el = box.current; if (el !== null && pinned.current) el.scrollTop = el.scrollHeight; }, [last]);
  // Re-rendered only when a line is added, not on every frame of a run.
  const shown = useMemo(() => lines.slice(-300).map((l) => (
    <div key={l.id} class={`line ${l.level}`}>
      <time>{new Date(l.time * 1000).toLocaleTimeString()}</time> <span class="level">{l.level}</span> {l.text}
    </div>
  )), [last]);
  return (
    <section class="console" aria-label="console">
      <h2>Console</h2>
      <div ref={box} class="console-lines" role="log" aria-live="polite" tabIndex={0} data-testid="console"
        onScroll={(e) => { const el = e.currentTarget; pinned.current = el.scrollTop + el.clientHeight >= el.scrollHeight - 4; }}>
        {lines.length === 0 ? <p class="empty">Exceptions and server log lines appear here.</p> : null}
        {shown}
      </div>
    </section>
  );
}
