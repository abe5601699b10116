/**
 * The web panel in headless Chromium, against a real server running flat out.
 *
 * - A 150 × 150 grid_scan (22 500 points, the engine as fast as it goes):
 *   `ui_lag_ms` is how far the screen trailed the server — at each draw,
 *   Date.now() minus the server's time of the newest event drawn — the worst
 *   over the scan (`ui_lag_p95_ms` its 95th percentile); `ui_receive_lag_ms`
 *   the same when batches reach the page (before drawing) and `ui_page_lag_ms`
 *   the page's own share (a batch's arrival to its draw); `ui_render_p95_ms`
 *   the main thread's time per frame. `ui_click_ms` is from a real click on
 *   "Pause now" during the first points (the input event's own timestamp)
 *   until the panel shows the server's answer, and `ui_click_state_ms` until
 *   the status bar says it. The scan is resumed and must finish with every
 *   point drawn. `ui_grid_events_per_s` is the engine's rate meanwhile.
 * - A 20 000-event count: `ui_events_per_s` drawn per second from the first
 *   event received to the last one drawn, `ui_count_lag_ms` how far the
 *   drawing trailed the stream at the end, and `ui_ws_events_per_s` the
 *   baseline: a bare WebSocket in the same browser that only parses and counts.
 * @module
 */
import type { pino } from 'pino';
import { Writable } from 'node:stream';
import type { Page } from 'playwright-core';
import { serve } from '../src/cli/serve.js';
import { createLogger } from '../src/server/index.js';
import { launchBrowser } from '../test/web/harness.js';
import { percentile } from './stats.js';

interface Stats { eventsRendered: number; firstEventAt: number | null; lastEventAt: number | null; lastRenderAt: number | null; lagMs: number[]; receiveLagMs: number[]; renderMs: number[]; pageLagMs: number[] }
interface Panel {
  stats: Stats; plans: unknown[]; connection: string; status: { state: string };
  client: { start(plan: string, params: object): Promise<unknown>; resume(): Promise<unknown> };
  run: { uid: string; events: number; stop: unknown } | null;
}
declare const window: { __panel: Panel; __click?: { at: number; reply: number | null; state: number | null } };
declare const document: {
  querySelector(s: string): { textContent: string | null } | null;
  addEventListener(t: string, f: (e: { target: unknown; timeStamp: number }) => void, capture: boolean): void;
};
declare const MutationObserver: new (f: () => void) => { observe(n: unknown, o: object): void };

const N = 20_000;
const SIDE = 150;
const GRID = { detectors: ['det4'], args: ['motor1', -2, 2, SIDE, 'motor2', -2, 2, SIDE], snake_axes: true };

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

/** In the page: note when a click on "Pause now" happened and when its answer and the paused state showed. */
function watchClick(): void {
  const rec = { at: 0, reply: null as number | null, state: null as number | null };
  window.__click = rec;
  document.addEventListener('click', (e) => { if ((e.target as { dataset?: { action?: string } }).dataset?.action === 'pause') rec.at = e.timeStamp; }, true);
  new MutationObserver(() => {
    if (rec.at === 0) return;
    if (rec.reply === null && (document.querySelector('[data-testid=control-reply]')?.textContent ?? '').startsWith('pause')) rec.reply = performance.now();
    if (rec.state === null && /^paus/.test(document.querySelector('[data-testid=state]')?.textContent ?? '')) rec.state = performance.now();
  }).observe(document, { subtree: true, childList: true, characterData: true });
}

async function gridScan(page: Page, whenIdle: () => Promise<void>): Promise<Record<string, number>> {
  await page.evaluate(watchClick);
  await page.evaluate(() => { window.__panel.stats.lagMs.length = 0; window.__panel.stats.receiveLagMs.length = 0; window.__panel.stats.renderMs.length = 0; window.__panel.stats.pageLagMs.length = 0; });
  const t0 = performance.now();
  await page.evaluate((p) => window.__panel.client.start('grid_scan', p), GRID);
  // Early: the engine (~25 000 points/s alone) is still going, however far the page is behind.
  await page.waitForFunction((n) => (window.__panel.run?.events ?? 0) >= n, 300, { timeout: 120_000, polling: 5 });
  await page.locator('button[data-action=pause]').click();
  await page.waitForFunction(() => window.__click?.reply != null, null, { timeout: 60_000, polling: 10 });
  const reply = await page.evaluate(() => document.querySelector('[data-testid=control-reply]')?.textContent ?? '');
  if (!reply.startsWith('pause:')) throw new Error(`the pause was not accepted: ${reply}`);
  await page.waitForFunction(() => window.__click?.state != null, null, { timeout: 60_000, polling: 10 });
  const click = await page.evaluate(() => window.__click as { at: number; reply: number; state: number });
  const pausedAt = performance.now();
  await page.evaluate(() => window.__panel.client.resume());
  const resumedAt = performance.now();
  await whenIdle();
  const engineMs = performance.now() - t0 - (resumedAt - pausedAt);
  await page.waitForFunction((n) => window.__panel.stats.eventsRendered === n && window.__panel.run?.stop != null, SIDE * SIDE, { timeout: 120_000, polling: 20 });
  const lag = await page.evaluate(() => window.__panel.stats.lagMs);
  const received = await page.evaluate(() => window.__panel.stats.receiveLagMs);
  const render = await page.evaluate(() => window.__panel.stats.renderMs);
  const own = await page.evaluate(() => window.__panel.stats.pageLagMs);
  return {
    ui_lag_ms: Math.round(Math.max(...lag)),
    ui_lag_p95_ms: Math.round(percentile(lag, 95)),
    ui_receive_lag_ms: Math.round(Math.max(...received)),
    ui_page_lag_ms: Math.round(Math.max(...own)),
    ui_page_lag_p95_ms: Math.round(percentile(own, 95)),
    ui_render_p95_ms: Math.round(percentile(render, 95) * 10) / 10,
    ui_frames: render.length,
    ui_click_ms: Math.round(click.reply - click.at),
    ui_click_state_ms: Math.round(click.state - click.at),
    ui_grid_events_per_s: Math.round((SIDE * SIDE) / (engineMs / 1000)),
  };
}

export async function benchUi(): Promise<Record<string, number>> {
  const quiet = createLogger({ level: 'silent', destination: new Writable({ write(_c, _e, cb) { cb(); } }) as unknown as pino.DestinationStream });
  const s = await serve({ port: 0, data: false, logger: quiet });
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
    await page.goto(`http://127.0.0.1:${String(s.server.port)}/`);
    await page.waitForFunction(() => window.__panel.connection === 'connected' && window.__panel.plans.length > 0);
    const count = async (n: number): Promise<Stats> => {
      await page.evaluate((num) => window.__panel.client.start('count', { detectors: ['det'], num, delay: 0 }), n);
      await page.waitForFunction((num) => window.__panel.stats.eventsRendered === num, n, { timeout: 120_000, polling: 20 });
      return page.evaluate(() => ({ ...window.__panel.stats, lagMs: [], receiveLagMs: [], renderMs: [], pageLagMs: [] }));
    };
    await count(2000); // warm-up: JIT, uPlot's first layout
    await s.dispatcher.whenIdle();
    const grid = await gridScan(page, () => s.dispatcher.whenIdle());
    const st = await count(N);
    await s.dispatcher.whenIdle();
    const span = (st.lastRenderAt ?? 0) - (st.firstEventAt ?? 0);
    await page.close(); // one subscriber at a time: the machine has two cores
    const bare = await browser.newPage();
    await bare.goto(`http://127.0.0.1:${String(s.server.port)}/favicon.svg`); // same origin, no panel
    const bareMs = await bare.evaluate(bareSocket, { url: `ws://127.0.0.1:${String(s.server.port)}/v2`, n: N });
    return {
      ...grid,
      ui_events_per_s: Math.round(N / (span / 1000)),
      ui_count_lag_ms: Math.round(((st.lastRenderAt ?? 0) - (st.lastEventAt ?? 0)) * 10) / 10,
      ui_ws_events_per_s: Math.round(N / (bareMs / 1000)),
      ui_n: N,
    };
  } finally {
    await browser.close();
    await s.dispatcher.stop();
  }
}
