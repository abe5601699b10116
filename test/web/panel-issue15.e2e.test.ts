/// <reference lib="dom" />
/**
 * The panel defects of issue 15, each checked in a real headless Chromium
 * against a real `serve`: sticky status bar and controls at 1366×768 and
 * 1024×600, a snaked grid plotted over its whole x range, the heat map's axis
 * ticks and colour scale, progress that ends with the run, stale control
 * replies cleared, interruptions in words, a history table that uses the
 * width, separate device pickers and plain labels, and a fast grid scan that
 * the page keeps up with. Each step saves a screenshot.
 * @module
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { TempDirs } from '../store/tmp.js';
import { ServerProcess, attr, chromiumTests, launchBrowser, screenshot, until } from './harness.js';

const dirs = new TempDirs();
let server: ServerProcess;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

interface Panel {
  run: { uid: string; events: number; x: Array<number | null>; stop: unknown } | null;
  streamWhere: string | null;
  stats: { eventsRendered: number };
  control(action: string, reason?: string): Promise<void>;
  client: { start(plan: string, params: object, md?: object): Promise<unknown> };
}

const stateIs = (s: string) => until(page, (want: string) => document.querySelector('[data-testid=state]')?.textContent === want, s, 30_000);
const consoleText = async (): Promise<string> => (await page.getByTestId('console').textContent()) ?? '';

async function choosePlan(name: string): Promise<void> {
  await page.getByRole('tab', { name: 'Live' }).click();
  await page.getByTestId('plan-select').selectOption(name);
  await page.locator('[data-field=detectors]').waitFor();
}

/** Start from the panel's client and wait for the run's start document. */
async function start(plan: string, params: object, md: object = {}): Promise<void> {
  const before = await page.evaluate(() => (window as unknown as { __panel: Panel }).__panel.run?.uid ?? null);
  await page.evaluate(([p, a, m]) => (window as unknown as { __panel: Panel }).__panel.client.start(p as string, a as object, m as object), [plan, params, md] as const);
  await until(page, (old: string | null) => (window as unknown as { __panel: Panel }).__panel.run?.uid !== old, before);
}

/** The element is inside the viewport and nothing covers its centre. */
async function inView(selector: string): Promise<boolean> {
  return page.evaluate((sel) => {
    const el = document.querySelector(sel);
    if (el === null) return false;
    const r = el.getBoundingClientRect();
    if (r.top < 0 || r.left < 0 || r.bottom > window.innerHeight || r.right > window.innerWidth) return false;
    const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
    return hit !== null && (hit === el || el.contains(hit));
  }, selector);
}

const STICKY = ['[data-testid=state]', 'button[data-action=pause]', 'button[data-action=abort]', 'button[data-action=halt]'];

describe('web panel, issue 15 (Chromium)', { timeout: 300_000, ...chromiumTests() }, () => {
  before(async () => {
    server = new ServerProcess(dirs.make());
    await server.start();
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(server.httpUrl);
    await until(page, () => document.querySelector('[data-testid=connection]')?.textContent?.startsWith('connected'), null);
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    dirs.cleanup();
  });

  it('receives the event stream in a worker', async () => {
    assert.equal(await page.evaluate(() => (window as unknown as { __panel: Panel }).__panel.streamWhere), 'worker');
  });

  for (const [width, height] of [[1366, 768], [1024, 600]] as const) {
    it(`keeps the state and the Pause/Abort/Halt buttons in view at ${String(width)}×${String(height)} while filling the form and reading the table`, async () => {
      await page.setViewportSize({ width, height });
      await start('count', { detectors: ['det'], num: 200, delay: 0.05 });
      await until(page, () => Number(document.querySelector('[data-testid=events]')?.getAttribute('data-count')) >= 30, null);
      // Filling the form: the grid_scan form is longer than the window; its last field is typed into.
      await page.getByTestId('plan-select').selectOption('grid_scan');
      const md = page.locator('[data-field=md] input');
      await md.fill('{"sample": "Si"}');
      assert.ok(await page.evaluate(() => window.scrollY) > 0, 'the page scrolled to the field (else this proves nothing)');
      for (const sel of STICKY) assert.ok(await inView(sel), `${sel} in view while filling the form`);
      assert.equal(await page.locator('button[data-action=pause]').isEnabled(), true, 'and usable: the run is going');
      await screenshot(page, `sticky-form-${String(width)}`);
      // Reading the table: scrolled to its end (and the page to its bottom).
      await page.locator('[data-testid=events] tbody tr').last().scrollIntoViewIfNeeded();
      await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
      for (const sel of STICKY) assert.ok(await inView(sel), `${sel} in view while reading the table`);
      await screenshot(page, `sticky-table-${String(width)}`);
      await page.locator('button[data-action=halt]').click();
      await stateIs('idle');
      await page.evaluate(() => window.scrollTo(0, 0));
    });
  }

  it('plots a snaked grid_scan with an even number of rows over its whole x range; the heat map has axis ticks and a colour scale', async () => {
    await page.setViewportSize({ width: 1366, height: 768 });
    await choosePlan('grid_scan');
    for (const box of await page.locator('[data-field=detectors] input[type=checkbox]').all()) {
      if ((await box.isChecked()) !== ((await box.getAttribute('value')) === 'det4')) await box.click();
    }
    const rows = page.locator('[data-field=args] tbody tr');
    for (const [i, cells] of [['motor1', '-1', '1', '4'], ['motor2', '-2', '2', '5']].entries()) {
      const row = rows.nth(i);
      await row.locator('select').selectOption(cells[0] as string);
      for (let c = 1; c < 4; c++) await row.locator('input').nth(c - 1).fill(cells[c] as string);
    }
    await page.locator('[data-field=snake_axes] input[type=checkbox]').check();
    await page.locator('[data-field=md] input').fill('');
    await page.locator('button[data-action=start]').click();
    await until(page, () => document.querySelector('[data-testid=plot]')?.getAttribute('data-points') === '20', null, 30_000);
    await stateIs('idle');
    // Four snaked rows: the first and the last point are both at motor2 = -2.
    const x = await page.evaluate(() => (window as unknown as { __panel: Panel }).__panel.run?.x ?? []);
    assert.deepEqual([x[0], x.at(-1)], [-2, -2]);
    const lo = Math.min(...x.map(Number)), hi = Math.max(...x.map(Number));
    const [xMin, xMax] = [await attr(page, '[data-testid=plot]', 'data-x-min'), await attr(page, '[data-testid=plot]', 'data-x-max')];
    assert.ok(xMin <= lo && xMax >= hi, `the x scale ${String(xMin)}..${String(xMax)} covers the data's ${String(lo)}..${String(hi)}`);
    // Drawing follows the data on the next animation frame: on a loaded machine it may lag the count.
    await until(page, () => document.querySelector('[data-testid=plot]')?.getAttribute('data-drawn') === '20', null, 10_000);
    assert.equal(await attr(page, '[data-testid=plot]', 'data-drawn'), 20, 'every point drawn');
    // The heat map: ticks over both motors' ranges, and a colour scale over the detector's values.
    const hm = page.getByTestId('heatmap');
    const xTicks = ((await hm.getAttribute('data-x-ticks')) ?? '').split(' ');
    const yTicks = ((await hm.getAttribute('data-y-ticks')) ?? '').split(' ');
    assert.ok(xTicks.some((t) => Number(t) === -2) && xTicks.some((t) => Number(t) === 2), `x ticks ${xTicks.join(' ')}`);
    assert.ok(yTicks.some((t) => Number(t) === -1) && yTicks.some((t) => Number(t) === 1), `y ticks ${yTicks.join(' ')}`);
    const cmin = await attr(page, '[data-testid=heatmap]', 'data-colour-min'), cmax = await attr(page, '[data-testid=heatmap]', 'data-colour-max');
    assert.ok(cmin < cmax, `colour ${String(cmin)}..${String(cmax)}`);
    assert.ok(((await hm.getAttribute('data-colour-ticks')) ?? '').split(' ').length >= 2, 'colour scale labelled');
    // The colour bar itself: yellow at the top (high), dark blue at the bottom (low).
    // (No named helpers inside: the page function is serialised as it is.)
    const [top, bottom] = await hm.evaluate((c: HTMLCanvasElement) => {
      const ctx = c.getContext('2d') as CanvasRenderingContext2D;
      const dpr = c.width / c.clientWidth;
      const xBar = Math.round((c.clientWidth - 74 + 12 + 7) * dpr); // the bar's middle (heatmap.tsx margins)
      return [12, c.clientHeight - 42].map((y) => [...ctx.getImageData(xBar, Math.round(y * dpr), 1, 1).data]);
    });
    assert.ok((top?.[0] ?? 0) > 200 && (top?.[1] ?? 0) > 200 && (top?.[2] ?? 255) < 100, `top ${String(top)}`);
    assert.ok((bottom?.[2] ?? 0) > (bottom?.[1] ?? 255), `bottom ${String(bottom)}`);
    await screenshot(page, 'grid-snaked-even');
  });

  it('progress ends with the run: after an abort the bar stays where the run ended and says how it ended', async () => {
    await start('count', { detectors: ['det'], num: 500, delay: 0.02 });
    await until(page, () => Number(document.querySelector('[role=progressbar]')?.getAttribute('aria-valuenow')) >= 10, null);
    await page.locator('button[data-action=abort]').click();
    await page.getByRole('dialog').waitFor();
    await page.keyboard.type('enough');
    await page.keyboard.press('Enter');
    await stateIs('idle');
    await until(page, () => document.querySelector('[data-testid=progress]')?.getAttribute('data-ended') === 'abort', null);
    const done = await attr(page, '[role=progressbar]', 'aria-valuenow');
    assert.equal(done, await page.evaluate(() => (window as unknown as { __panel: Panel }).__panel.run?.events ?? -1));
    await page.waitForTimeout(700);
    assert.equal(await attr(page, '[role=progressbar]', 'aria-valuenow'), done, 'no more counting');
    const text = (await page.getByTestId('progress').textContent()) ?? '';
    assert.match(text, new RegExp(`^${String(done)} / 500 · abort$`));
    assert.doesNotMatch(text, /ETA/);
    await screenshot(page, 'progress-after-abort');
  });

  it('a refused control reply from the last run is cleared when the next run starts', async () => {
    await page.evaluate(() => (window as unknown as { __panel: Panel }).__panel.control('resume'));
    await until(page, () => document.querySelector('[data-testid=control-reply]')?.textContent?.startsWith('resume refused'), null);
    await start('count', { detectors: ['det'], num: 3, delay: 0 });
    await until(page, () => document.querySelector('[data-testid=control-reply]')?.textContent === '', null);
    await stateIs('idle');
  });

  it('a pause and a stop read as words in the status bar and the console, not as bluesky\'s RE.resume() text', async () => {
    await start('count', { detectors: ['det'], num: 300, delay: 0.02 });
    await until(page, () => Number(document.querySelector('[data-testid=events]')?.getAttribute('data-count')) >= 3, null);
    await page.locator('button[data-action=pause]').click();
    await stateIs('paused');
    await until(page, () => document.querySelector('[data-testid=state-hint]')?.textContent === 'paused at a checkpoint — resume, stop, abort or halt', null);
    await until(page, () => document.querySelector('[data-testid=console]')?.textContent?.includes('count: paused at a checkpoint — resume, stop, abort or halt'), null);
    await screenshot(page, 'paused-in-words');
    await page.locator('button[data-action=stop]').click();
    await stateIs('idle');
    await until(page, () => document.querySelector('[data-testid=console]')?.textContent?.includes('count: stopped by request'), null);
    assert.equal(await page.getByTestId('state-hint').count(), 0);
    assert.doesNotMatch(await consoleText(), /RE\.(resume|halt|abort|stop)\(\)/);
  });

  it('the history table uses the width (short uid, scan, plan, times, reason); params and metadata are in the detail pane', async () => {
    await start('count', { detectors: ['det'], num: 400, delay: 0.02 }, { sample: 'Si', operator: 'ada' });
    await until(page, () => Number(document.querySelector('[data-testid=events]')?.getAttribute('data-count')) >= 3, null);
    await page.evaluate(() => (window as unknown as { __panel: Panel }).__panel.control('abort', 'a long reason that the table wraps instead of clipping the other columns'));
    await stateIs('idle');
    await page.getByRole('tab', { name: /History/ }).click();
    const uid = await page.evaluate(() => (window as unknown as { __panel: Panel }).__panel.run?.uid ?? '');
    const row = page.locator(`[data-testid=history] tr[data-uid="${uid}"]`);
    await row.waitFor();
    await until(page, (u: string) => document.querySelector(`[data-testid=history] tr[data-uid="${u}"]`)?.textContent?.includes('a long reason'), uid);
    const layout = await page.evaluate(() => {
      const table = document.querySelector('[data-testid=history]') as HTMLElement;
      const main = document.querySelector('main') as HTMLElement;
      const wrap = table.parentElement as HTMLElement;
      const clipped = [...table.querySelectorAll('td, th')].filter((c) => c.scrollWidth > c.clientWidth + 1).map((c) => c.textContent);
      return { table: table.getBoundingClientRect().width, main: main.clientWidth, scrolls: wrap.scrollWidth > wrap.clientWidth + 1, clipped };
    });
    assert.ok(layout.table > layout.main * 0.9, `table ${String(layout.table)} of ${String(layout.main)} px`);
    assert.equal(layout.scrolls, false, 'no sideways scrolling');
    assert.deepEqual(layout.clipped, [], 'no clipped cell');
    const cells = await row.locator('td').allTextContents();
    assert.equal(cells[0], uid.slice(0, 8));
    assert.equal(cells[2], 'count');
    assert.match(cells.join('|'), /abort\|400\|a long reason|abort\|\d+\|a long reason/);
    await screenshot(page, 'history-wide');
    await row.getByRole('button').click();
    const detail = page.getByTestId('run-detail');
    await until(page, () => document.querySelector('[data-testid=run-md]')?.textContent?.includes('sample') === true, null);
    assert.match((await detail.getByTestId('run-params').textContent()) ?? '', /num\s*400/);
    assert.match((await detail.getByTestId('run-md').textContent()) ?? '', /sample\s*Si.*|operator\s*ada/s);
    await screenshot(page, 'history-detail');
    await page.getByRole('tab', { name: 'Live' }).click();
  });

  it('offers detectors and motors in separate pickers, and says "motor rows" and "snake rows" (explained) for args and snake_axes', async () => {
    await choosePlan('count');
    const group = (g: string) => page.locator(`[data-field=detectors] [data-group=${g}] input[type=checkbox]`).evaluateAll((els) => els.map((e) => (e as HTMLInputElement).value));
    const detectors = await group('detectors');
    const motors = await group('motors');
    assert.ok(detectors.includes('det') && detectors.includes('det4'), detectors.join(' '));
    assert.ok(motors.includes('motor') && motors.includes('motor1'), motors.join(' '));
    assert.ok(!detectors.some((d) => motors.includes(d)), 'no device in both');
    await choosePlan('grid_scan');
    assert.match((await page.locator('[data-field=args] .field-label').textContent()) ?? '', /^motor rows/);
    const snake = (await page.locator('[data-field=snake_axes] label').textContent()) ?? '';
    assert.match(snake, /^snake rows/);
    assert.match(snake, /every other row backwards/);
    assert.doesNotMatch((await page.locator('.plan-form').textContent()) ?? '', /snake_axes|\bargs\b/);
  });

  it('keeps up with a 150×150 grid flat out: a click is answered while it streams, every point is drawn, never disconnected', async () => {
    // 22,500 points (the size bench/ui.ts uses): the server must still be running when the page has
    // drawn its first thousand. A 100×100 grid could end on the server first, and the page then
    // jumped to idle in one frame, between the click's checks and the click (a CI failure).
    await start('grid_scan', { detectors: ['det4'], args: ['motor1', -1, 1, 150, 'motor2', -2, 2, 150], snake_axes: true });
    await until(page, () => ((window as unknown as { __panel: Panel }).__panel.run?.events ?? 0) >= 1000, null, 60_000);
    const clicked = Date.now();
    await page.locator('button[data-action=pause]').click();
    await until(page, () => (document.querySelector('[data-testid=control-reply]')?.textContent ?? '') !== '', null, 30_000).catch(async (e: unknown) => {
      const seen = await page.evaluate(() => { const p = (window as unknown as { __panel: { status: { state: string }; run: { events: number } | null } }).__panel; return `state ${p.status.state}, ${String(p.run?.events)} events`; });
      throw new Error(`no reply to the pause click (the page: ${seen})`, { cause: e });
    });
    const answered = Date.now() - clicked;
    const reply = await page.getByTestId('control-reply').textContent();
    assert.match(reply ?? '', /^pause: /, `the pause was answered "${reply ?? ''}"; the console: ${await consoleText()}`);
    // The goal is < 100 ms (measured by npm run bench); this bound holds on a loaded machine.
    assert.ok(answered < 3000, `the click was answered after ${String(answered)} ms`);
    await stateIs('paused');
    await page.locator('button[data-action=resume]').click();
    await until(page, () => (window as unknown as { __panel: Panel }).__panel.stats.eventsRendered === 22_500 && (window as unknown as { __panel: Panel }).__panel.run?.stop != null, null, 120_000);
    await stateIs('idle');
    assert.doesNotMatch(await consoleText(), /connection lost/);
    await screenshot(page, 'fast-grid');
    assert.deepEqual(pageErrors, [], 'no uncaught errors in the page');
  });
});
