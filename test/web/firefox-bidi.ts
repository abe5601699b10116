/**
 * A minimal WebDriver BiDi driver for Debian's firefox-esr, enough for a smoke
 * test of the panel in Firefox: launch headless, navigate, evaluate, wait,
 * screenshot. (playwright-core's Firefox needs its own patched build, and its
 * BiDi mode sends commands this ESR does not know.)
 * @module
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { WebSocket } from 'ws';

export const FIREFOX = process.env.FIREFOX_PATH ?? '/usr/bin/firefox-esr';

interface Reply { id?: number; type?: string; result?: Record<string, unknown>; error?: string; message?: string }

export class Firefox {
  readonly #proc: ChildProcess;
  readonly #ws: WebSocket;
  readonly #profile: string;
  #next = 1;
  readonly #pending = new Map<number, { resolve: (r: Record<string, unknown>) => void; reject: (e: Error) => void }>();
  context = '';

  private constructor(proc: ChildProcess, ws: WebSocket, profile: string) {
    this.#proc = proc;
    this.#ws = ws;
    this.#profile = profile;
    ws.on('message', (data) => {
      const m = JSON.parse(String(data)) as Reply;
      if (m.id === undefined) return; // events: not used
      const p = this.#pending.get(m.id);
      this.#pending.delete(m.id);
      if (m.type === 'error') p?.reject(new Error(`${m.error ?? 'error'}: ${m.message ?? ''}`));
      else p?.resolve(m.result ?? {});
    });
  }

  static async launch(): Promise<Firefox> {
    const profile = mkdtempSync(join(tmpdir(), 'panel-firefox-'));
    // No updates, telemetry or remote settings: the machine has no outside network.
    writeFileSync(join(profile, 'user.js'), [
      'user_pref("app.update.enabled", false);', 'user_pref("datareporting.policy.dataSubmissionEnabled", false);',
      'user_pref("toolkit.telemetry.enabled", false);', 'user_pref("browser.shell.checkDefaultBrowser", false);',
      'user_pref("network.captive-portal-service.enabled", false);', 'user_pref("services.settings.server", "http://127.0.0.1:9/");',
    ].join('\n'));
    const proc = spawn(FIREFOX, ['--headless', '--remote-debugging-port', '0', '--profile', profile, '--no-remote', 'about:blank'], { stdio: ['ignore', 'ignore', 'pipe'] });
    const url = await new Promise<string>((resolve, reject) => {
      let log = '';
      const rl = createInterface({ input: proc.stderr as NodeJS.ReadableStream });
      rl.on('line', (line) => {
        log += `${line}\n`;
        const m = /WebDriver BiDi listening on (ws:\/\/\S+)/.exec(line);
        if (m?.[1] !== undefined) resolve(m[1]);
      });
      proc.once('exit', (code) => reject(new Error(`firefox exited (${String(code)}):\n${log}`)));
    });
    const ws = new WebSocket(`${url}/session`);
    await once(ws, 'open');
    const ff = new Firefox(proc, ws, profile);
    await ff.send('session.new', { capabilities: {} });
    const tree = await ff.send('browsingContext.getTree', {});
    ff.context = String((tree.contexts as Array<{ context: string }>)[0]?.context);
    return ff;
  }

  send(method: string, params: Record<string, unknown>): Promise<Record<string, unknown>> {
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#ws.send(JSON.stringify({ id, method, params }));
    });
  }

  async viewport(width: number, height: number): Promise<void> {
    await this.send('browsingContext.setViewport', { context: this.context, viewport: { width, height } });
  }

  async goto(url: string): Promise<void> {
    await this.send('browsingContext.navigate', { context: this.context, url, wait: 'complete' });
  }

  /** Evaluate a JS expression (awaiting a promise) and return its JSON value. */
  async eval<T = unknown>(expression: string): Promise<T> {
    const r = await this.send('script.evaluate', {
      expression: `(async () => JSON.stringify(await (${expression})))()`, target: { context: this.context }, awaitPromise: true,
    });
    if (r.type === 'exception') throw new Error(`in the page: ${JSON.stringify(r.exceptionDetails)}`);
    const value = (r.result as { value?: string } | undefined)?.value;
    return (value === undefined ? undefined : JSON.parse(value)) as T;
  }

  /** Poll `expression` until truthy. */
  async until(expression: string, timeoutMs = 15_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (Date.now() < end) {
      if (await this.eval<boolean>(`Boolean(${expression})`)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`timed out waiting for ${expression}`);
  }

  async screenshot(path: string): Promise<void> {
    const r = await this.send('browsingContext.captureScreenshot', { context: this.context });
    writeFileSync(path, Buffer.from(String(r.data), 'base64'));
  }

  async close(): Promise<void> {
    try { await this.send('session.end', {}); } catch { /* closing anyway */ }
    this.#ws.close();
    const exited = once(this.#proc, 'exit');
    this.#proc.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    if (this.#proc.exitCode === null) this.#proc.kill('SIGKILL');
    rmSync(this.#profile, { recursive: true, force: true });
  }
}
