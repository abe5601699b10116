/**
 * Worker side of the dispatcher benchmark: websocket subscribers (and, in the
 * observer worker, the control connection) on their own thread, so client work
 * does not queue behind the server's or other clients', as with remote clients.
 * @module
 */
import { parentPort, workerData } from 'node:worker_threads';
import { WebSocket } from 'ws';

// A worker thread (parentPort) or a child process with a scheduling of its own (process IPC).
type Msg = { kind: string; runs?: number; expected?: number };
interface Port { postMessage(m: object): void; onMessage(fn: (m: Msg) => void): void; close(): void }
const port: Port | null = parentPort !== null
  ? { postMessage: (m) => parentPort?.postMessage(m), onMessage: (fn) => parentPort?.on('message', fn), close: () => parentPort?.close() }
  : process.send === undefined ? null : {
    postMessage: (m) => { process.send?.(m); },
    onMessage: (fn) => { process.on('message', fn); },
    close: () => { process.disconnect(); },
  };
const { url, subscribers, control: hasControl } = (workerData ?? JSON.parse(process.env.BENCH_CLIENTS ?? '{}')) as { url: string; subscribers: number; control: boolean };
const RUNNING = '"state": "running", "old_state": "idle"';
const IDLE = '"state": "idle", "old_state": "running"';
const STARTED = '"success": true';

function open(): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

const subs = await Promise.all(Array.from({ length: subscribers }, open));
await Promise.all(subs.map((ws) => new Promise<void>((resolve) => { ws.once('message', () => resolve()); ws.send('{"type": "subscribe"}'); })));
const control = hasControl ? await open() : null;
let received = 0;
let target = Infinity;
for (const ws of subs) {
  ws.on('message', () => {
    if (++received === target) port?.postMessage({ kind: 'fanout-done' });
  });
}

/** The first subscriber registered is the first the server writes to. */
const observer = subs[0] as WebSocket;

function next(ws: WebSocket, match: string): Promise<number> {
  return new Promise((resolve) => {
    const onMsg = (data: WebSocket.RawData): void => {
      if (String(data).includes(match)) { ws.off('message', onMsg); resolve(performance.now()); }
    };
    ws.on('message', onMsg);
  });
}

async function latency(runs: number): Promise<number[]> {
  const samples: number[] = [];
  if (control === null) return samples;
  while (samples.length < runs) {
    const running = next(observer, RUNNING);
    const idle = next(observer, IDLE);
    const reply = new Promise<string>((resolve) => control.once('message', (d) => resolve(String(d))));
    const t0 = performance.now();
    control.send('{"type": "start", "plan": "quick", "keep_open": true}');
    if (!(await reply).includes(STARTED)) { await new Promise((r) => setTimeout(r, 1)); continue; } // busy for a tick after idle
    samples.push((await running) - t0);
    await idle;
    // Let the previous run's fan-out to the other subscribers drain: we time a start, not a queue.
    await new Promise((r) => setTimeout(r, 5));
  }
  return samples;
}

port?.onMessage((msg) => {
  if (msg.kind === 'latency') void latency(msg.runs ?? 100).then((samples) => port.postMessage({ kind: 'latency', samples }));
  if (msg.kind === 'arm') { received = 0; target = msg.expected ?? Infinity; port.postMessage({ kind: 'armed' }); }
  if (msg.kind === 'close') { for (const ws of [...subs, control]) ws?.close(); port.close(); }
});
port?.postMessage({ kind: 'ready' });
