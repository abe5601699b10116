/**
 * The panel's layout: the status bar and controls (sticky: always in view),
 * the tabs (Live: form, plot, table; History; Queue), the console below. A tab is one
 * entry of {@link TABS}.
 * @module
 */
import type { ComponentChild } from 'preact';
import { useState } from 'preact/hooks';
import { Controls } from './components/controls.js';
import { History } from './components/history.js';
import { PlanForm } from './components/plan-form.js';
import { QueueTab } from './components/queue.js';
import { Heatmap, LivePlot } from './components/plots.js';
import { StatusBar } from './components/status-bar.js';
import { ConsolePane, EventTable } from './components/tables.js';
import { useModel } from './components/use-model.js';
import type { PanelModel } from './panel-model.js';

interface Tab {
  id: string;
  label(model: PanelModel): string;
  view(model: PanelModel, version: number): ComponentChild;
}

function Live({ model, version }: { model: PanelModel; version: number }) {
  const run = model.run;
  return (
    <div class="live">
      <aside class="left"><PlanForm model={model} /></aside>
      <section class="center" aria-label="current run">
        <LivePlot run={run} version={version} onDraw={(n) => model.drew(n)} />
        {run?.grid != null ? <Heatmap run={run} version={version} /> : null}
        <EventTable run={run} version={version} />
      </section>
    </div>
  );
}

/** The tabs, in order (a new view is one more entry). */
export const TABS: readonly Tab[] = [
  { id: 'live', label: () => 'Live', view: (model, version) => <Live model={model} version={version} /> },
  { id: 'history', label: (model) => `History (${String(model.history.length)})`, view: (model) => <History model={model} /> },
  { id: 'queue', label: (model) => `Queue (${String(model.queue.view?.items.length ?? 0)})`, view: (model) => <QueueTab model={model} /> },
];

export function App({ model }: { model: PanelModel }) {
  const version = useModel(model);
  const [tab, setTab] = useState<string>(TABS[0]?.id ?? '');
  const current = TABS.find((t) => t.id === tab) ?? TABS[0];
  function select(i: number): void {
    const next = TABS[(i + TABS.length) % TABS.length];
    if (next === undefined) return;
    setTab(next.id);
    document.getElementById(`tab-${next.id}`)?.focus();
  }
  return (
    <div class="app">
      <div class="top">
        <StatusBar model={model} />
        <Controls model={model} />
      </div>
      <nav class="tabs" role="tablist" aria-label="views" onKeyDown={(e) => {
        // The ARIA tabs pattern: arrow keys move between tabs (and select them).
        const i = TABS.findIndex((t) => t.id === current?.id);
        if (e.key === 'ArrowRight') select(i + 1);
        else if (e.key === 'ArrowLeft') select(i - 1);
      }}>
        {TABS.map((t) => (
          <button type="button" role="tab" key={t.id} id={`tab-${t.id}`} aria-selected={t.id === current?.id} aria-controls={`panel-${t.id}`}
            tabIndex={t.id === current?.id ? 0 : -1} onClick={() => setTab(t.id)}>{t.label(model)}</button>
        ))}
      </nav>
      {current === undefined ? null : <main id={`panel-${current.id}`} aria-labelledby={`tab-${current.id}`}>{current.view(model, version)}</main>}
      <ConsolePane lines={model.console} />
      <footer>server {model.serverVersion} · protocol v2 · seq {model.lastSeq ?? '—'} · stream read in the {model.streamWhere ?? '—'}</footer>
    </div>
  );
}
