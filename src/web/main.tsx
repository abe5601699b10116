/**
 * Entry point of the web panel, and of its stream worker (this same bundle,
 * started as a module worker: the server serves a fixed list of files, and the
 * worker needs the protocol client anyway). On the page: connect to this
 * server's protocol v2 endpoint (`ws(s)://HOST:PORT/v2`, or `?ws=URL`) and
 * render. In the worker: receive the event stream and hand it to the page.
 * @module
 */
import { render } from 'preact';
import { App } from './app.js';
import { PanelModel } from './panel-model.js';
import { serveWorker, workerStream } from './stream.js';
import './styles.css';

if (typeof document === 'undefined') {
  // A dedicated worker's global scope: it has onmessage/postMessage and no document.
  serveWorker(globalThis as unknown as Parameters<typeof serveWorker>[0]);
} else {
  const override = new URLSearchParams(location.search).get('ws');
  const url = override ?? `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/v2`;
  const model = new PanelModel(url, (onBatch) => workerStream(url, new URL(import.meta.url), onBatch));
  // For the end-to-end tests and the benchmark: the model and its counters.
  (window as unknown as { __panel: PanelModel }).__panel = model;
  const root = document.getElementById('app');
  if (root !== null) render(<App model={model} />, root);
  model.open();
}
