/// <reference lib="dom" />
/**
 * The web panel end to end, in a real headless Chromium against a real
 * `serve` process: start from the form, watch the plot and the progress bar,
 * pause (now and at a checkpoint) and resume, abort with a reason (by
 * keyboard) and find it in history, see a
 * validation error next to its field, and recover by itself when the server
 * is killed and restarted mid-run. Each step saves a screenshot.
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

const stateIs = (s: string) => until(page, (want: string) => document.querySelector('[data-testid=state]')?.textContent === want, s);
const points = () => attr(page, '[data-testid=plot]', 'data-points');
const progressDone = () => attr(page, '[role=progressbar]', 'aria-valuenow');

const runUid = () => page.evaluate(() => (window as unknown as { __panel: { run: { uid: string } | null } }).__panel.run?.uid ?? null);

async function choosePlan(name: string): Promise<void> {
  await page.getByRole('tab', { name: 'Live' }).click();
  await page.getByTestId('plan-select').selectOption(name);
  await page.locator('[data-field=detectors]').waitFor();
}

async function setDetectors(names: string[]): Promise<void> {
  for (const box of await page.locator('[data-field=detectors] input[type=checkbox]').all()) {
    const want = names.includes((await box.getAttribute('value')) ?? '');
    if ((await box.isChecked()) !== want) await box.click();
  }
}

async function startCount(num: number, delay: number): Promise<void> {
  await choosePlan('count');
  await setDetectors(['det']);
  await page.locator('[data-field=num] input').fill(String(num));
  await page.locator('[data-field=delay] input').fill(String(delay));
  const before = await runUid();
  await page.locator('button[data-action=start]').click();
  // Its start document has arrived: the plot now shows this run, not the previous one.
  // (Not "state is running": a short run may be over before a poll sees it.)
  await until(page, (old: string | null) => (window as unknown as { __panel: { run: { uid: string } | null } }).__panel.run?.uid !== old, before);
}

describe('web panel (Chromium)', { timeout: 180_000, ...chromiumTests() }, () => {
  before(async () => {
    server = new ServerProcess(dirs.make());
    await server.start();
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1366, height: 860 } });
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(server.httpUrl);
    await until(page, () => document.querySelector('[data-testid=connection]')?.textContent?.startsWith('connected'), null);
    // Marks this page load: the restart test checks the page was never reloaded.
    await page.evaluate(() => { (window as unknown as { __loadMark: number }).__loadMark = 42; });
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    dirs.cleanup();
  });

  it('starts a scan from the form: the plot gains every point and the progress bar fills', async () => {
    await choosePlan('scan');
    await setDetectors(['det']);
    const row = page.locator('[data-field=args] tbody tr').first();
    await row.locator('select').selectOption('motor');
    await row.locator('input').nth(0).fill('-3');
    await row.locator('input').nth(1).fill('3');
    await page.locator('[data-field=num] input').fill('41');
    await screenshot(page, 'scan-form');
    await page.locator('button[data-action=start]').click();
    await until(page, () => document.querySelector('[data-testid=plot]')?.getAttribute('data-points') === '41', null);
    await stateIs('idle');
    assert.equal(await progressDone(), 41);
    assert.match((await page.getByTestId('progress').textContent()) ?? '', /41 \/ 41/);
    assert.equal(await page.locator('[data-testid=events]').getAttribute('data-count'), '41');
    // The plot is drawn: uPlot's canvas is there and the legend names the detector against the motor.
    assert.equal(await page.locator('[data-testid=plot] canvas').count(), 1);
    assert.match((await page.locator('[data-testid=plot]').textContent()) ?? '', /motor.*det/s);
    await screenshot(page, 'scan-done');
  });

  it('a plan chosen in the form starts from its own defaults at once: a box ticked right after the choice stays ticked', async () => {
    await choosePlan('scan');
    await setDetectors(['det']);
    // Choose count and tick its detector within one task, before the form's effects run (they wait for a frame).
    const ticked = await page.evaluate(async () => {
      const select = document.querySelector('[data-testid=plan-select]') as HTMLSelectElement;
      select.value = 'count';
      select.dispatchEvent(new Event('change', { bubbles: true }));
      await new Promise((r) => setTimeout(r, 0)); // rendered
      // (No helper function: tsx would wrap it in a name helper the page does not have.)
      const before = document.querySelector<HTMLInputElement>('[data-field=detectors] input[type=checkbox][value=det]')?.checked ?? null;
      if (before === false) document.querySelector<HTMLInputElement>('[data-field=detectors] input[type=checkbox][value=det]')?.click();
      await new Promise((r) => setTimeout(r, 300)); // effects and a validation round trip
      return { before, after: document.querySelector<HTMLInputElement>('[data-field=detectors] input[type=checkbox][value=det]')?.checked ?? null };
    });
    // The count form never showed scan's ticked box, and the tick made on it was kept.
    assert.deepEqual(ticked, { before: false, after: true });
  });

  it('a slow count: points arrive and the progress bar moves while it runs; pause now, then resume', async () => {
    await startCount(60, 0.05);
    await until(page, () => Number(document.querySelector('[data-testid=plot]')?.getAttribute('data-points')) >= 5, null);
    const p1 = await points();
    const d1 = await progressDone();
    await until(page, (n: number) => Number(document.querySelector('[data-testid=plot]')?.getAttribute('data-points')) >= n + 5, p1);
    assert.ok((await points()) > p1, 'the plot gained points');
    assert.ok((await progressDone()) > d1, 'the progress bar moved');
    await screenshot(page, 'count-running');

    assert.equal(await page.locator('button[data-action=resume]').isDisabled(), true, 'resume is disabled while running');
    await page.locator('button[data-action=pause]').click();
    await stateIs('paused');
    assert.equal(await page.locator('button[data-action=pause]').isDisabled(), true, 'pause is disabled once paused');
    assert.equal(await page.locator('button[data-action=start]').isDisabled(), true, 'start is disabled while a plan is paused');
    const frozen = await points();
    await page.waitForTimeout(300);
    assert.equal(await points(), frozen, 'no points while paused');
    await screenshot(page, 'count-paused');
    await page.locator('button[data-action=resume]').click();
    await stateIs('running');
    // Deferred: the plan runs on to its next checkpoint, then pauses.
    await page.locator('button[data-action=pauseDeferred]').click();
    await stateIs('paused');
    await page.locator('button[data-action=resume]').click();
    // The state can read idle before the last points show: after a click the panel asks the server
    // for its status (newer than a stream still catching up), while the points come by the stream.
    await until(page, () => document.querySelector('[data-testid=plot]')?.getAttribute('data-points') === '60', null);
    await stateIs('idle'); // what is left may be too short to see 'running' between two polls
    // bluesky re-reads from the checkpoint after an immediate pause and re-emits that seq_num:
    // the plot keeps one point per seq_num.
    assert.equal(await points(), 60);
  });

  it('abort asks for a reason, and the run shows in history as aborted with it', async () => {
    await startCount(500, 0.02);
    await until(page, () => Number(document.querySelector('[data-testid=plot]')?.getAttribute('data-points')) >= 3, null);
    // By keyboard alone: focus the button, Enter opens the dialog with the focus in the reason field, Enter confirms.
    // One action (focus and key together): a re-render between a separate focus() and the key
    // press, on a loaded machine, left the Enter with nothing focused.
    await page.locator('button[data-action=abort]').press('Enter');
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('name')), 'reason');
    await page.keyboard.type('sample drifted');
    await screenshot(page, 'abort-dialog');
    await page.keyboard.press('Enter');
    await stateIs('idle');
    // The tabs follow the ARIA pattern: the arrow key moves to (and opens) the other tab.
    await page.getByRole('tab', { name: 'Live' }).focus();
    await page.keyboard.press('ArrowRight');
    assert.equal(await page.getByRole('tab', { name: /History/ }).getAttribute('aria-selected'), 'true');
    const firstRow = page.locator('[data-testid=history] tbody tr').first();
    await until(page, () => document.querySelector('[data-testid=history] tbody tr')?.textContent?.includes('sample drifted'), null);
    assert.match((await firstRow.textContent()) ?? '', /count.*abort.*sample drifted/s);
    // Open it: its plot, documents and the export link.
    await firstRow.getByRole('button').click();
    await page.getByTestId('run-detail').waitFor();
    await until(page, () => document.querySelector('[data-testid=run-detail] .documents li') !== null, null);
    assert.match((await page.getByTestId('run-detail').textContent()) ?? '', /stop \w{8} abort: sample drifted/);
    const href = await page.getByTestId('export').getAttribute('href');
    const r = await page.request.get(new URL(href ?? '', server.httpUrl).href);
    assert.equal(r.status(), 200);
    const lines = (await r.text()).trim().split('\n').map((l) => JSON.parse(l) as [string, Record<string, unknown>]);
    assert.equal(lines[0]?.[0], 'start');
    assert.equal(lines.at(-1)?.[0], 'stop');
    assert.equal(lines.at(-1)?.[1].reason, 'sample drifted');
    await screenshot(page, 'history-aborted');
    await page.getByRole('tab', { name: 'Live' }).click();
  });

  it('shows the server\'s validation error next to the field before anything starts', async () => {
    await choosePlan('count');
    await setDetectors(['det']);
    await page.locator('[data-field=num] input').fill('-3');
    const err = page.getByTestId('error-num');
    await err.waitFor();
    assert.match((await err.textContent()) ?? '', /num/);
    assert.equal(await page.locator('[data-field=num] input').getAttribute('aria-invalid'), 'true');
    // Text that is no number is caught in the page, with the same placement.
    await page.locator('[data-field=num] input').fill('many');
    await until(page, () => document.querySelector('[data-testid=error-num]')?.textContent?.includes('expected an integer'), null);
    await screenshot(page, 'validation-error');
    const runsBefore = await page.evaluate(() => (window as unknown as { __panel: { history: unknown[] } }).__panel.history.length);
    await page.locator('button[data-action=start]').click();
    await page.waitForTimeout(300);
    assert.equal(await page.getByTestId('state').textContent(), 'idle', 'nothing started');
    assert.equal(await page.evaluate(() => (window as unknown as { __panel: { history: unknown[] } }).__panel.history.length), runsBefore);
    await page.locator('[data-field=num] input').fill('2');
    await until(page, () => document.querySelector('[data-testid=error-num]') === null, null);
  });

  it('a page opened mid-run shows the run so far (from the store) and goes on live, without gaps', async () => {
    await startCount(80, 0.03);
    await until(page, () => Number(document.querySelector('[data-testid=plot]')?.getAttribute('data-points')) >= 10, null);
    await page.reload();
    await until(page, () => document.querySelector('[data-testid=connection]')?.textContent?.startsWith('connected'), null);
    // The snapshot said running (the page shows no state at all before it), then the run ended live.
    await until(page, () => (window as unknown as { __panel: { run: { stop: unknown } | null } }).__panel.run?.stop != null, null);
    await stateIs('idle');
    const x = await page.evaluate(() => (window as unknown as { __panel: { run: { x: Array<number | null> } } }).__panel.run.x);
    assert.equal(x.length, 80);
    assert.ok(x.every((t) => t !== null), 'every point, none missing');
    await page.evaluate(() => { (window as unknown as { __loadMark: number }).__loadMark = 42; });
  });

  it('recovers by itself when the server is killed and restarted mid-run (no page reload)', async () => {
    await startCount(2000, 0.02);
    await until(page, () => Number(document.querySelector('[data-testid=plot]')?.getAttribute('data-points')) >= 5, null);
    const uid = await runUid();
    await server.kill();
    await until(page, () => document.querySelector('[data-testid=connection]')?.textContent?.startsWith('reconnecting'), null);
    await screenshot(page, 'server-down');
    await server.start(); // same port, same data directory
    await until(page, () => document.querySelector('[data-testid=connection]')?.textContent?.startsWith('connected'), null, 30_000);
    await stateIs('idle');
    assert.equal(await page.evaluate(() => (window as unknown as { __loadMark?: number }).__loadMark), 42, 'the page was not reloaded');
    // The interrupted run is in the history, closed by the restarted server's crash recovery.
    await page.getByRole('tab', { name: /History/ }).click();
    await until(page, (uid: string) => document.querySelector(`[data-testid=history] tr[data-uid="${uid}"]`)?.textContent?.includes('interrupted'), uid);
    await screenshot(page, 'recovered-history');
    await page.getByRole('tab', { name: 'Live' }).click();
    // And it works again: a new run streams in.
    await startCount(5, 0.01);
    // As above: the state asked for after the start may be newer than the points streamed so far.
    await until(page, () => document.querySelector('[data-testid=plot]')?.getAttribute('data-points') === '5', null);
    await stateIs('idle');
    assert.equal(await points(), 5);
    await screenshot(page, 'after-restart');
    assert.deepEqual(pageErrors, [], 'no uncaught errors in the page');
  });
});
