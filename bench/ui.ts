/**
 * The web panel's rendering rate, measured in the browser (headless Chromium):
 * a fast count streams to the page over protocol v2 and the page's own
 * counters say when each event was received and when the plot drew it.
 * `ui_events_per_s` is events drawn per second from the first event received
 * to the last one drawn; `ui_lag_ms` is how far the drawing trailed the
 * stream at the end (a page that falls behind shows a growing lag).
 * `ui_ws_events_per_s` is the baseline: the same count received by a bare
 * WebSocket in the same browser that only parses and counts the frames, so
 * the two together say what the panel's rendering costs.
 * @module
 */
import type { pino } from 'pino';
import { Writable } from 'node:stream';
import { serve } from '../src/cli/serve.js';
import { createLogger } from '../src/server/index.js';
import { launchBrowser } from '../test/web/harness.js';

interface Stats { eventsRendered: number; firstEventAt: number | null; lastEventAt: number | null; lastRenderAt: number | null }
declare const window: { __panel: { stats: Stats; client: { start(plan: string, params: object): Promise<unknown> }; plans: unknown[]; connection: string } };

const N = 20_000;

/** In the page: a bare v2 subscriber that parses and counts; resolves with the span of `n` events, ms. */
function bareSocket({ url, n }: { url: string; n: number }): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url);
    let first = 0;
    let events = 0;
    ws.onmessage = (m) => {
      const f = JSON.parse(String(m.data)) as { id?: number; topic?: string; data?: { name?: string } };
      if (f.id === 1) { ws.send(JSON.stringify({ id: 2, op: 'start', plan: 'count', params: { detectors: ['det'], num: n, delay: 0 } })); return; }
      if (f.topic !== 'document' || f.data?.name !== 'event') return;
      if (events++ === 0) first = performance.now();
      if (events === n) { ws.close(); resolve(performance.now() - first); }
    };
    ws.onopen = () => ws.send(JSON.stringify({ id: 1, op: 'subscribe' }));
  });
}

export async function benchUi(): Promise<{ ui_events_per_s: number; ui_lag_ms: number; ui_ws_events_per_s: number; ui_n: number }> {
  const quiet = createLogger({ level: 'silent', destination: new Writable({ write(_c, _e, cb) { cb(); } }) as unknown as pino.DestinationStream });
  const s = await serve({ port: 0, data: false, logger: quiet });
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage({ viewport: { width: 1366, height: 860 } });
    await page.goto(`http://127.0.0.1:${String(s.server.port)}/`);
    await page.waitForFunction(() => window.__panel.connection === 'connected' && window.__panel.plans.length > 0);
    const run = async (n: number): Promise<Stats> => {
      await page.evaluate((num) => window.__panel.client.start('count', { detectors: ['det'], num, delay: 0 }), n);
      await page.waitForFunction((num) => window.__panel.stats.eventsRendered === num, n, { timeout: 120_000, polling: 20 });
      return page.evaluate(() => ({ ...window.__panel.stats }));
    };
    await run(2000); // warm-up: JIT, uPlot's first layout
    await s.dispatcher.whenIdle();
    const st = await run(N);
    await s.dispatcher.whenIdle();
    const span = (st.lastRenderAt ?? 0) - (st.firstEventAt ?? 0);
    await page.close(); // one subscriber at a time: the machine has two cores
    const bare = await browser.newPage();
    await bare.goto(`http://127.0.0.1:${String(s.server.port)}/favicon.svg`); // same origin, no panel
    const bareMs = await bare.evaluate(bareSocket, { url: `ws://127.0.0.1:${String(s.server.port)}/v2`, n: N });
    return {
      ui_events_per_s: Math.round(N / (span / 1000)),
      ui_lag_ms: Math.round(((st.lastRenderAt ?? 0) - (st.lastEventAt ?? 0)) * 10) / 10,
      ui_ws_events_per_s: Math.round(N / (bareMs / 1000)),
      ui_n: N,
    };
  } finally {
    await browser.close();
    await s.dispatcher.stop();
  }
}
