/// <reference lib="dom" />
/**
 * The panel's login (issue 12) in Chromium against a real `serve --auth`: the
 * page shows the login form instead of the panel, a wrong key is refused with
 * the server's message, the right key sets the session cookie (HttpOnly, so
 * the page cannot read it), the panel connects its websocket with it and a
 * plan started from the panel runs; a read-only key sees the engine but its
 * start is refused naming the scope.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { runCli, startServe, type ServeChild } from '../helpers/child.js';
import { TempDirs } from '../store/tmp.js';
import { chromiumTests, launchBrowser, screenshot, until } from './harness.js';

const dirs = new TempDirs();
let served: ServeChild | null = null;
let browser: Browser;

interface Panel { client: { start(plan: string, params: object): Promise<unknown> } }

async function key(data: string, name: string, scopes: string): Promise<string> {
  const r = await runCli(['keys', 'create', name, '--scopes', scopes, '--data', data]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.trim().split('\n').at(-1) ?? '';
}

async function logIn(page: Page, secret: string): Promise<void> {
  await page.locator('form[aria-label="log in"] input[name=key]').fill(secret);
  await page.locator('form[aria-label="log in"] button[type=submit]').click();
}

describe('web panel login with serve --auth (Chromium)', { timeout: 300_000, ...chromiumTests() }, () => {
  let data = '';
  let control = '';
  let reader = '';
  before(async () => {
    data = dirs.make();
    control = await key(data, 'beamline', 'read,control');
    reader = await key(data, 'visitor', 'read');
    served = await startServe(['--port', '0', '--data', data, '--auth']);
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await served?.child.stop('SIGTERM');
    dirs.cleanup();
  });

  it('asks for a key, refuses a wrong one, and with the right one runs the panel over the cookie', async () => {
    const page = await browser.newPage();
    const url = `http://127.0.0.1:${String(served?.port)}/`;
    await page.goto(url);
    const form = page.locator('form[aria-label="log in"]');
    await form.waitFor({ timeout: 30_000 });
    await logIn(page, 'bsk_not-a-key');
    const alert = await page.getByRole('alert').textContent({ timeout: 15_000 });
    assert.match(alert ?? '', /key/i);
    await logIn(page, control);
    await until(page, () => document.querySelector('[data-testid=connection]')?.textContent?.startsWith('connected'), null, 30_000);
    assert.equal(await form.count(), 0, 'the form is gone');
    const cookies = await page.context().cookies();
    const session = cookies.find((c) => c.httpOnly);
    assert.ok(session !== undefined && session.sameSite === 'Strict', JSON.stringify(cookies));
    assert.equal(await page.evaluate(() => document.cookie), '', 'the page cannot read the session cookie');
    await page.evaluate(() => (window as unknown as { __panel: Panel }).__panel.client.start('count', { detectors: ['det'], num: 3 }));
    await until(page, () => Number(document.querySelector('[data-testid=events]')?.getAttribute('data-count')) >= 3, null, 30_000);
    await screenshot(page, 'login-panel');
    await page.close();
  });

  it('a read-only key sees the engine; its start is refused naming the scope', async () => {
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${String(served?.port)}/`);
    await logIn(page, reader);
    await until(page, () => document.querySelector('[data-testid=connection]')?.textContent?.startsWith('connected'), null, 30_000);
    const refused = await page.evaluate(async () => {
      try { await (window as unknown as { __panel: Panel }).__panel.client.start('count', { detectors: ['det'] }); return 'started'; }
      catch (e) { return `${String((e as { code?: string }).code)}: ${(e as Error).message}`; }
    });
    assert.match(refused, /^forbidden: start needs the control scope/);
    await page.close();
  });
});
