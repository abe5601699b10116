/// <reference lib="dom" />
/**
 * The panel's Queue tab (issue 13) in a real headless Chromium against a real
 * `serve`: two items added from the plan form ("Add to queue"), reordered by
 * keyboard (Alt+↑, the focus staying on the item) and by drag, the order
 * checked on the server with `queue.get`; an edit to invalid params shows the
 * server's `invalid_params` message and leaves the item as it was; a valid
 * edit shows at once; the queue started, the running item marked, both items
 * done in the history, and an item's run opened from the history shows that
 * run's plot; a failed item shows its error and stops the queue. A change made by another client appears without a reload
 * (pushed). With `serve --auth`, a key without the `queue` scope sees its
 * refusals as the server's coded error. Each step saves a screenshot.
 * @module
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { DispatcherClient } from '../../src/protocol/v2/client.js';
import { runCli, startServe, type ServeChild } from '../helpers/child.js';
import { TEST_PLANS } from '../helpers/engine.js';
import { TempDirs } from '../store/tmp.js';
import { ServerProcess, chromiumTests, launchBrowser, screenshot, until } from './harness.js';

const dirs = new TempDirs();
let server: ServerProcess;
let browser: Browser;
let page: Page;
let client: DispatcherClient;
const pageErrors: string[] = [];

/** The pending items' uids as the page shows them, front first. */
const shownOrder = (): Promise<string[]> => page.locator('[data-testid=queue-items] > li').evaluateAll((els) => els.map((e) => e.getAttribute('data-uid') ?? ''));
const serverOrder = async (): Promise<string[]> => (await client.request('queue.get')).items.map((i) => i.item_uid);
const shownIs = (uids: string[]) => until(page, (want: string) => [...document.querySelectorAll('[data-testid=queue-items] > li')].map((e) => e.getAttribute('data-uid')).join(',') === want, uids.join(','), 30_000);

async function setDetectors(names: string[]): Promise<void> {
  for (const box of await page.locator('[data-field=detectors] input[type=checkbox]').all()) {
    const want = names.includes((await box.getAttribute('value')) ?? '');
    if ((await box.isChecked()) !== want) await box.click();
  }
}

/** Fill the count form and press "Add to queue"; the reply names the position. */
async function queueCount(num: number, delay: number, position: number): Promise<void> {
  await page.getByRole('tab', { name: 'Live' }).click();
  await page.getByTestId('plan-select').selectOption('count');
  await page.locator('[data-field=detectors]').waitFor();
  await setDetectors(['det']);
  await page.locator('[data-field=num] input').fill(String(num));
  await page.locator('[data-field=delay] input').fill(String(delay));
  await page.locator('button[data-action=queue-add]').click();
  await until(page, (p: number) => document.querySelector('[data-testid=start-reply]')?.textContent?.startsWith(`queued count at position ${String(p)}`), position, 30_000);
}

describe('web panel: the Queue tab (Chromium)', { timeout: 300_000, ...chromiumTests() }, () => {
  before(async () => {
    // The test plans add `failing` (raises ValueError after two events).
    server = new ServerProcess(dirs.make(), ['--plans', TEST_PLANS]);
    await server.start();
    client = new DispatcherClient(`ws://127.0.0.1:${String(server.port)}/v2`);
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1366, height: 860 } });
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(server.httpUrl);
    await until(page, () => document.querySelector('[data-testid=connection]')?.textContent?.startsWith('connected'), null, 30_000);
  });

  after(async () => {
    client?.close();
    await browser?.close();
    await server?.stop();
    dirs.cleanup();
  });

  let first = '';
  let second = '';

  it('adds two items from the plan form with "Add to queue"; the tab lists them with params, who and when', async () => {
    await queueCount(3, 0.2, 1);
    // The form's checks are Start's: a bad value is refused next to its field, and nothing is queued.
    await page.locator('[data-field=num] input').fill('-2');
    await page.locator('button[data-action=queue-add]').click();
    await page.getByTestId('error-num').waitFor({ timeout: 30_000 });
    assert.equal((await client.request('queue.get')).items.length, 1, 'the refused item was not queued');
    await queueCount(5, 0.1, 2);
    await page.getByRole('tab', { name: /^Queue/ }).click();
    await until(page, () => document.querySelectorAll('[data-testid=queue-items] > li').length === 2, null, 30_000);
    [first, second] = await shownOrder() as [string, string];
    assert.deepEqual(await serverOrder(), [first, second]);
    const texts = await page.locator('[data-testid=queue-items] > li').allTextContents();
    assert.match(texts[0] ?? '', /count.*detectors=det.*num=3.*delay=0\.2.*anonymous/s);
    assert.match(texts[1] ?? '', /num=5/);
    assert.match(await page.getByRole('tab', { name: /^Queue/ }).textContent() ?? '', /Queue \(2\)/);
    await screenshot(page, 'queue-two-items');
  });

  it('reorders by keyboard (Alt+↑ on the second item); the item keeps the focus; the server has the new order', async () => {
    await page.locator(`[data-testid=queue-items] > li[data-uid="${second}"]`).focus();
    await page.keyboard.press('Alt+ArrowUp');
    await shownIs([second, first]);
    assert.deepEqual(await serverOrder(), [second, first]);
    await until(page, (u: string) => document.activeElement?.getAttribute('data-uid') === u, second, 10_000);
    assert.match(await page.getByTestId('queue-announce').textContent() ?? '', /moved to position 1 of 2/);
    // The Move buttons do the same, and are named for screen readers.
    await page.getByRole('button', { name: 'Move count (1) down' }).click();
    await shownIs([first, second]);
    assert.deepEqual(await serverOrder(), [first, second]);
  });

  it('reorders by drag: the second item dropped on the upper half of the first goes before it', async () => {
    const target = page.locator(`[data-testid=queue-items] > li[data-uid="${first}"]`);
    await page.locator(`[data-testid=queue-items] > li[data-uid="${second}"] .grip`).dragTo(target, { targetPosition: { x: 40, y: 3 } });
    await shownIs([second, first]);
    assert.deepEqual(await serverOrder(), [second, first]);
    await screenshot(page, 'queue-dragged');
  });

  it('an edit to invalid params shows the server\'s invalid_params message and leaves the item unchanged; a valid edit shows at once', async () => {
    const row = page.locator(`[data-testid=queue-items] > li[data-uid="${second}"]`);
    const before = (await client.request('queue.get')).items.find((i) => i.item_uid === second)?.params;
    await row.getByRole('button', { name: /^Edit params/ }).click();
    const box = row.getByTestId('edit-params');
    await box.fill('{"detectors": ["det"], "num": "lots"}');
    await row.getByRole('button', { name: 'Save' }).click();
    const error = row.getByTestId('edit-error');
    await error.waitFor({ timeout: 30_000 });
    const text = (await error.textContent()) ?? '';
    assert.match(text, /invalid_params/);
    assert.match(text, /\/num/);
    assert.deepEqual((await client.request('queue.get')).items.find((i) => i.item_uid === second)?.params, before, 'unchanged on the server');
    assert.match(await row.getByTestId('item-params').textContent() ?? '', /num=5/);
    // Not JSON at all: said before anything is sent.
    await box.fill('{"num": ');
    await row.getByRole('button', { name: 'Save' }).click();
    await until(page, () => document.querySelector('[data-testid=edit-error]')?.textContent?.startsWith('params must be JSON'), null);
    await screenshot(page, 'queue-edit-refused');
    await box.fill('{"detectors": ["det"], "num": 4, "delay": 0.1}');
    await row.getByRole('button', { name: 'Save' }).click();
    await until(page, (u: string) => document.querySelector(`[data-testid=queue-items] > li[data-uid="${u}"] [data-testid=item-params]`)?.textContent === 'detectors=det, num=4, delay=0.1', second, 30_000);
    assert.equal(await row.getByTestId('edit-params').count(), 0, 'the editor closed');
    assert.deepEqual((await client.request('queue.get')).items.find((i) => i.item_uid === second)?.params, { detectors: ['det'], num: 4, delay: 0.1 });
  });

  it('a change by another client appears without a reload (pushed on the queue topic)', async () => {
    const added = await client.request('queue.add', { item: { plan: 'count', params: { detectors: ['det'], num: 1 } } });
    const uid = added.items[0]?.item_uid ?? '';
    await shownIs([second, first, uid]);
    await client.request('queue.remove', { item_uid: uid });
    await shownIs([second, first]);
    await page.locator('[data-mode=ignore_failures]').check();
    await until(page, () => (document.querySelector('[data-mode=ignore_failures]') as HTMLInputElement | null)?.checked === true, null);
    assert.equal((await client.request('queue.get')).mode.ignore_failures, true);
    await client.request('queue.mode', { ignore_failures: false });
    await until(page, () => (document.querySelector('[data-mode=ignore_failures]') as HTMLInputElement | null)?.checked === false, null, 30_000);
  });

  it('starts the queue: the running item is marked, both run in order and show as completed in the history', async () => {
    await page.locator('button[data-action=queue-start]').click();
    await until(page, (u: string) => document.querySelector('[data-testid=queue-running]')?.getAttribute('data-uid') === u, second, 60_000);
    assert.match(await page.getByTestId('queue-running').textContent() ?? '', /running.*count/s);
    await screenshot(page, 'queue-running');
    const done = (uids: string[]) => until(page, (want: string) => [...document.querySelectorAll('[data-testid=queue-history] tbody tr')]
      .map((r) => `${r.getAttribute('data-item-uid') ?? ''}:${r.getAttribute('data-outcome') ?? ''}`).join(',') === want, uids.map((u) => `${u}:completed`).join(','), 120_000);
    // Newest first: the second item to run (first) above the first (second).
    await done([first, second]);
    await until(page, () => document.querySelector('[data-testid=queue-state]')?.textContent === 'stopped', null, 30_000);
    assert.equal(await page.getByTestId('queue-running').count(), 0);
    assert.equal(await page.locator('[data-testid=queue-items] > li').count(), 0);
    const a = await client.request('item.get', { item_uid: second });
    const b = await client.request('item.get', { item_uid: first });
    assert.deepEqual([a.exit_status, b.exit_status], ['completed', 'completed']);
    assert.ok((a.time_stop ?? 0) <= (b.time_start ?? 0), 'in order');
    await screenshot(page, 'queue-history');
  });

  it('opens an item\'s run from the history: the detail pane plots that run', async () => {
    const item = await client.request('item.get', { item_uid: second });
    const run = item.runs[0]?.uid ?? '';
    assert.notEqual(run, '');
    await page.locator(`[data-testid=queue-history] tr[data-item-uid="${second}"] button[data-run="${run}"]`).click();
    const detail = page.getByTestId('run-detail');
    await detail.waitFor({ timeout: 30_000 });
    const plot = page.locator(`figure[aria-label="plot of run ${run}"] [data-testid=plot]`);
    // The edited params ran: 4 points, in that run's plot.
    await until(page, (u: string) => document.querySelector(`figure[aria-label="plot of run ${u}"] [data-testid=plot]`)?.getAttribute('data-points') === '4', run, 30_000);
    assert.equal(await plot.locator('canvas').count(), 1);
    assert.match(await detail.getByTestId('run-params').textContent() ?? '', /num\s*4/);
    assert.match(await detail.getByTestId('run-md').textContent() ?? '', new RegExp(`item_id\\s*${second}`));
    await screenshot(page, 'queue-run-plot');
  });

  it('a failed item shows its error in the history and stops the queue (ignore failures off); the next item stays pending', async () => {
    const added = await client.request('queue.add', { items: [{ plan: 'failing' }, { plan: 'count', params: { detectors: ['det'], num: 1 } }] });
    const [bad, next] = added.items.map((i) => i.item_uid) as [string, string];
    await shownIs([bad, next]);
    await page.locator('button[data-action=queue-start]').click();
    await until(page, (u: string) => document.querySelector(`[data-testid=queue-history] tr[data-item-uid="${u}"]`)?.getAttribute('data-outcome') === 'failed', bad, 120_000);
    const row = page.locator(`[data-testid=queue-history] tr[data-item-uid="${bad}"]`);
    assert.match(await row.textContent() ?? '', /failed.*ValueError: planned failure after 2 events/s);
    assert.match(await row.locator('button[data-run]').textContent() ?? '', /fail/);
    await until(page, () => document.querySelector('[data-testid=queue-state]')?.textContent === 'stopped', null, 30_000);
    await shownIs([next]);
    assert.equal((await client.request('queue.get')).state, 'stopped');
    await screenshot(page, 'queue-failed');
    await client.request('queue.clear');
    await shownIs([]);
    assert.deepEqual(pageErrors, [], 'no uncaught errors in the page');
  });
});

describe('web panel: the Queue tab with serve --auth (Chromium)', { timeout: 300_000, ...chromiumTests() }, () => {
  let served: ServeChild | null = null;
  let authBrowser: Browser | null = null;
  let secret = '';
  before(async () => {
    const data = dirs.make();
    const r = await runCli(['keys', 'create', 'visitor', '--scopes', 'read,control', '--data', data]);
    assert.equal(r.code, 0, r.stderr);
    secret = r.stdout.trim().split('\n').at(-1) ?? '';
    served = await startServe(['--port', '0', '--data', data, '--auth']);
    authBrowser = await launchBrowser();
  });
  after(async () => {
    await authBrowser?.close();
    await served?.child.stop('SIGTERM');
  });

  it('a key without the queue scope sees the queue; adding and starting are refused with the server\'s forbidden error', async () => {
    const p = await (authBrowser as Browser).newPage({ viewport: { width: 1366, height: 860 } });
    await p.goto(`http://127.0.0.1:${String(served?.port)}/`);
    await p.locator('form[aria-label="log in"] input[name=key]').fill(secret);
    await p.locator('form[aria-label="log in"] button[type=submit]').click();
    await p.waitForFunction(() => document.querySelector('[data-testid=connection]')?.textContent?.startsWith('connected'), null, { timeout: 30_000 });
    await p.getByTestId('plan-select').selectOption('count');
    await p.locator('[data-field=detectors] input[value=det]').check();
    await p.locator('button[data-action=queue-add]').click();
    await p.waitForFunction(() => /forbidden/.test(document.querySelector('[data-testid=start-reply]')?.textContent ?? ''), null, { timeout: 30_000 });
    assert.match(await p.getByTestId('start-reply').textContent() ?? '', /queue scope.*\(forbidden\)/);
    await p.getByRole('tab', { name: /^Queue/ }).click();
    await p.locator('button[data-action=queue-start]').click();
    await p.waitForFunction(() => /forbidden/.test(document.querySelector('[data-testid=queue-reply]')?.textContent ?? ''), null, { timeout: 30_000 });
    assert.match(await p.getByTestId('queue-reply').textContent() ?? '', /^queue\.start refused: .*queue scope.*\(forbidden\)$/);
    await screenshot(p, 'queue-forbidden');
    await p.close();
  });
});
