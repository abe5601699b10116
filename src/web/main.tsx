/**
 * Entry point of the web panel, and of its stream worker (this same bundle,
 * started as a module worker: the server serves a fixed list of files, and the
 * worker needs the protocol client anyway). On the page: connect to this
 * server's protocol v2 endpoint (`ws(s)://HOST:PORT/v2`, or `?ws=URL`) and
 * render. In the worker: receive the event stream and hand it to the page.
 * @module
 */
import { render } from 'preact';
import { useState } from 'preact/hooks';
import { App } from './app.js';
import { PanelModel } from './panel-model.js';
import { serveWorker, workerStream } from './stream.js';
import './styles.css';

if (typeof document === 'undefined') {
  // A dedicated worker's global scope: it has onmessage/postMessage and no document.
  serveWorker(globalThis as unknown as Parameters<typeof serveWorker>[0]);
} else {
  void start();
}

/**
 * `serve --auth`: without a session the server answers 401 and the page shows a login form,
 * which exchanges a key for an HttpOnly session cookie (POST /api/login) and reloads.
 */
async function start(): Promise<void> {
  // The panel opens at once, as without auth; only a 401 swaps it for the form.
  const model = open();
  const who = await fetch('/api/session').catch(() => null);
  const root = document.getElementById('app');
  if (who?.status === 401 && root !== null) { model.close(); render(<Login />, root); }
}

function Login() {
  const [error, setError] = useState('');
  async function submit(e: Event): Promise<void> {
    e.preventDefault();
    const key = (new FormData(e.target as HTMLFormElement).get('key') ?? '').toString().trim();
    const r = await fetch('/api/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ key }) });
    if (r.ok) { location.reload(); return; }
    setError(((await r.json().catch(() => ({}))) as { message?: string }).message ?? `login failed (${String(r.status)})`);
  }
  return (
    <form class="login" onSubmit={(e) => { void submit(e); }} aria-label="log in">
      <label>API key <input name="key" type="password" autocomplete="current-password" required /></label>
      <button type="submit">Log in</button>
      {error === '' ? null : <p role="alert">{error}</p>}
    </form>
  );
}

function open(): PanelModel {
  const override = new URLSearchParams(location.search).get('ws');
  const url = override ?? `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/v2`;
  const model = new PanelModel(url, (onBatch) => workerStream(url, new URL(import.meta.url), onBatch));
  // For the end-to-end tests and the benchmark: the model and its counters.
  (window as unknown as { __panel: PanelModel }).__panel = model;
  const root = document.getElementById('app');
  if (root !== null) render(<App model={model} />, root);
  model.open();
  return model;
}
