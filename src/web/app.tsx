/** The panel's layout: status bar, controls, the Live tab (form, plot, table) and the History tab, console below. @module */
import { useState } from 'preact/hooks';
import { Controls } from './components/controls.js';
import { History } from './components/history.js';
import { PlanForm } from './components/plan-form.js';
import { Heatmap, LivePlot } from './components/plots.js';
import { StatusBar } from './components/status-bar.js';
import { ConsolePane, EventTable } from './components/tables.js';
import { useModel } from './components/use-model.js';
import type { PanelModel } from './panel-model.js';

type Tab = 'live' | 'history';

export function App({ model }: { model: PanelModel }) {
  const version = useModel(model);
  const [tab, setTab] = useState<Tab>('live');
  const run = model.run;
  return (
    <div class="app">
      <StatusBar model={model} />
      <Controls model={model} />
      <nav class="tabs" role="tablist" aria-label="views" onKeyDown={(e) => {
        // The ARIA tabs pattern: arrow keys move between tabs (and select them).
        if (e.key !== 'ArrowLeft' && e.key !== 'ArrowRight') return;
        const next: Tab = tab === 'live' ? 'history' : 'live';
        setTab(next);
        document.getElementById(`tab-${next}`)?.focus();
      }}>
        {(['live', 'history'] as const).map((t) => (
          <button type="button" role="tab" key={t} id={`tab-${t}`} aria-selected={tab === t} aria-controls={`panel-${t}`}
            tabIndex={tab === t ? 0 : -1} onClick={() => setTab(t)}>
            {t === 'live' ? 'Live' : `History (${String(model.history.length)})`}
          </button>
        ))}
      </nav>
      {tab === 'live'
        ? (
          <main class="live" id="panel-live" aria-labelledby="tab-live">
            <aside class="left"><PlanForm model={model} /></aside>
            <section class="center" aria-label="current run">
              <LivePlot run={run} version={version} stats={model.stats} />
              {run?.grid != null ? <Heatmap run={run} version={version} /> : null}
              <EventTable run={run} />
            </section>
          </main>
        )
        : <main id="panel-history" aria-labelledby="tab-history"><History model={model} /></main>}
      <ConsolePane lines={model.console} />
      <footer>server {model.serverVersion} · protocol v2 · seq {model.lastSeq ?? '—'}</footer>
    </div>
  );
}
