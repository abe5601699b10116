/**
 * Run history from the store (`runs.list`), one row a run: short uid, scan,
 * plan, start time, duration, how it ended and why, events. A run opens in the
 * detail pane: its parameters and metadata, its plot, its documents
 * (browsable) and an export link (suitcase-jsonl, `GET /api/runs/UID/export.jsonl`).
 * @module
 */
import { useEffect, useState } from 'preact/hooks';
import type { RunSummaryJson } from '../../protocol/v2/client.js';
import { cell, dateTime, duration, uidPrefix } from '../format.js';
import type { LiveRun } from '../live-run.js';
import type { PanelModel } from '../panel-model.js';
import { Heatmap, LivePlot } from './plots.js';

export function History({ model }: { model: PanelModel }) {
  const [selected, setSelected] = useState<string | null>(null);
  const runs = model.history;
  if (model.historyError !== null) return <p class="empty" role="status">No run history: {model.historyError}</p>;
  return (
    <div class={`history ${selected === null ? '' : 'with-detail'}`}>
      <div class="table-wrap">
        <table class="runs" data-testid="history">
          <caption>Runs, newest first <button type="button" class="small" onClick={() => void model.refreshHistory()}>refresh</button></caption>
          <thead><tr>
            <th scope="col">run</th><th scope="col">scan</th><th scope="col">plan</th><th scope="col">started</th>
            <th scope="col">duration</th><th scope="col">exit</th><th scope="col" class="num">events</th><th scope="col" class="reason">reason</th>
          </tr></thead>
          <tbody>
            {runs.map((r) => (
              <tr key={r.uid} class={r.uid === selected ? 'selected' : ''} data-uid={r.uid}>
                <td><button type="button" class="link uid" title={`open run ${r.uid}`} aria-pressed={r.uid === selected}
                  onClick={() => setSelected(r.uid === selected ? null : r.uid)}>{uidPrefix(r.uid)}</button></td>
                <td>{r.scan_id ?? '—'}</td>
                <td>{r.plan_name ?? '—'}</td>
                <td>{dateTime(r.start_time)}</td>
                <td>{r.stop_time === null ? 'open' : duration(r.stop_time - r.start_time)}</td>
                <td><span class={`exit exit-${r.exit_status ?? 'open'}`}>{r.exit_status ?? 'open'}</span>
                  {r.interrupted ? <span class="tag" title="closed by crash recovery">interrupted</span> : null}</td>
                <td class="num">{Object.values(r.num_events ?? {}).reduce((a, b) => a + b, 0)}</td>
                <td class="reason">{r.reason ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {runs.length === 0 ? <p class="empty">No runs recorded yet.</p> : null}
      </div>
      {selected !== null ? <RunDetail model={model} summary={runs.find((r) => r.uid === selected) ?? null} uid={selected} onClose={() => setSelected(null)} /> : null}
    </div>
  );
}

/** Start-document keys shown elsewhere (or only machinery): the rest is the run's metadata. */
const NOT_MD = new Set(['uid', 'time', 'plan_args', 'hints', 'plan_pattern', 'plan_pattern_module', 'plan_pattern_args']);

function entriesOf(x: unknown): Array<[string, unknown]> {
  return typeof x === 'object' && x !== null && !Array.isArray(x) ? Object.entries(x) : [];
}

function KeyValues({ entries, testid }: { entries: Array<[string, unknown]>; testid: string }) {
  if (entries.length === 0) return <p class="empty">none</p>;
  return (
    <dl class="kv" data-testid={testid}>
      {entries.map(([k, v]) => <div key={k}><dt>{k}</dt><dd>{typeof v === 'object' && v !== null ? JSON.stringify(v) : cell(v)}</dd></div>)}
    </dl>
  );
}

/** One run's detail pane (also opened from the Queue tab's runs). */
export function RunDetail({ model, uid, summary, onClose }: { model: PanelModel; uid: string; summary: RunSummaryJson | null; onClose: () => void }) {
  const [run, setRun] = useState<LiveRun | null>(null);
  const [docs, setDocs] = useState<Array<[string, Record<string, unknown>]>>([]);
  const [failed, setFailed] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    setRun(null); setDocs([]); setFailed(null);
    void model.loadRun(uid).then((r) => { if (live) { setRun(r); if (r === null) setFailed('could not load this run'); } });
    model.client.request('runs.get', { uid, limit: 200 }).then((r) => { if (live) setDocs(r.documents); }, (e: unknown) => { if (live) setFailed(String(e)); });
    return () => { live = false; };
  }, [uid, summary?.stop_time]);
  const md = run === null ? [] : Object.entries(run.start).filter(([k]) => !NOT_MD.has(k));
  return (
    <section class="run-detail" aria-label={`run ${uid}`} data-testid="run-detail">
      <header>
        <h2>Run {summary?.scan_id ?? ''} · {summary?.plan_name ?? ''} <small>{uid}</small></h2>
        <a class="button" href={`api/runs/${encodeURIComponent(uid)}/export.jsonl`} download data-testid="export">Export (suitcase-jsonl)</a>
        <button type="button" class="small" aria-label="close the run's details" onClick={onClose}>×</button>
      </header>
      {summary !== null && summary.reason !== null && summary.reason !== '' ? <p class="detail-reason"><b>{summary.exit_status}</b>: {summary.reason}</p> : null}
      {failed !== null ? <p class="field-error">{failed}</p> : null}
      <h3>Parameters</h3>
      <KeyValues entries={entriesOf(summary?.params)} testid="run-params" />
      <h3>Metadata</h3>
      <KeyValues entries={md} testid="run-md" />
      {run !== null ? <LivePlot run={run} version={run.events} height={220} label={`plot of run ${uid}`} /> : null}
      {run?.grid != null ? <Heatmap run={run} version={run.events} /> : null}
      <h3>Documents{docs.length >= 200 ? ' (first 200)' : ''}</h3>
      <ol class="documents">
        {docs.map(([name, doc], i) => (
          <li key={i}><details><summary><b>{name}</b> {String(doc.uid ?? doc.datum_id ?? '').slice(0, 8)}{name === 'event' ? ` seq ${String(doc.seq_num)}` : ''}{name === 'stop' ? ` ${String(doc.exit_status)}${doc.reason ? `: ${String(doc.reason)}` : ''}` : ''}</summary>
            <pre>{JSON.stringify(doc, null, 2)}</pre></details></li>
        ))}
      </ol>
    </section>
  );
}
