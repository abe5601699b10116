/** The top bar: connection, engine state (and what it means), the plan and run in progress, elapsed time and progress. @module */
import type { PanelModel } from '../panel-model.js';
import { duration, uidPrefix } from '../format.js';
import { useTicker } from './use-model.js';

const CONNECTION_TEXT = { connecting: 'connecting…', connected: 'connected', reconnecting: 'reconnecting…' } as const;

export function StatusBar({ model }: { model: PanelModel }) {
  const s = model.status;
  const run = model.run;
  const p = model.progress;
  const active = s.state !== 'idle' && s.state !== 'unknown';
  const now = useTicker(active);
  const elapsed = active && s.run_start_time !== null ? now / 1000 - s.run_start_time : null;
  const showRun = run !== null && (active || run.uid === s.run_uid);
  const hint = model.stateHint;
  let text = 'no run';
  if (p !== null) {
    text = `${String(p.done)}${p.total === null ? '' : ` / ${String(p.total)}`}`;
    if (p.ended !== null) text += ` · ${p.ended}`;
    else if (p.etaS !== null && active) text += ` · ETA ${duration(p.etaS)}`;
  }
  return (
    <header class="status-bar">
      <h1>bluesky-dispatcher</h1>
      <span class={`conn conn-${model.connection}`} data-testid="connection" role="status"
        title={model.connection === 'reconnecting' ? `resuming after seq ${String(model.lastSeq ?? 0)}` : `seq ${String(model.lastSeq ?? 0)}`}>
        <span class="dot" aria-hidden="true" />
        {CONNECTION_TEXT[model.connection]}
        {model.connection === 'reconnecting' && model.lastSeq !== null ? <small> (since {model.lastSeq})</small> : null}
      </span>
      <span class="state-box">
        <span class={`state state-${s.state}`} data-testid="state" aria-live="polite" aria-label={`engine state ${s.state}`}>{s.state}</span>
        {hint !== null ? <small class="state-hint" data-testid="state-hint">{hint}</small> : null}
      </span>
      <dl class="run-info">
        <div><dt>plan</dt><dd data-testid="plan">{active ? s.plan ?? '—' : run?.planName ?? '—'}</dd></div>
        <div><dt>scan</dt><dd>{showRun && run?.scanId != null ? run.scanId : '—'}</dd></div>
        <div><dt>run</dt><dd title={s.run_uid ?? ''} data-testid="run-uid">{uidPrefix(showRun ? run?.uid : null)}</dd></div>
        <div><dt>elapsed</dt><dd data-testid="elapsed">{duration(elapsed)}</dd></div>
      </dl>
      <div class={`progress ${p?.ended == null ? '' : `ended ended-${p.ended}`}`} data-testid="progress" data-ended={p?.ended ?? ''}>
        <div class="bar" role="progressbar" aria-label="run progress" aria-valuemin={0} aria-valuemax={p?.total ?? undefined}
          aria-valuenow={p?.done ?? 0} data-done={p?.done ?? 0}>
          <div class="fill" style={{ width: `${String(Math.round((p?.fraction ?? 0) * 1000) / 10)}%` }} />
        </div>
        <span class="progress-text">{text}</span>
      </div>
    </header>
  );
}
