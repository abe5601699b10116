/**
 * The engine host's cost, through a `serve` process (no store) with each host:
 * a fast count's primary events per second seen by a v2 subscriber in this
 * process (start request to the stop document), and a `pause` request to the
 * `paused` state event (p50/p99).
 * @module
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'ws';

const CLI = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));

/** `serve --engine KIND` on an ephemeral port; resolves with its v2 URL and a stop function. */
function serve(kind: string): Promise<{ url: string; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'serve', '--port', '0', '--no-data', '--engine', kind, '--log-format', 'json'], { stdio: ['ignore', 'ignore', 'pipe'] });
  const stop = (): Promise<void> => new Promise((resolve) => { child.once('exit', () => resolve()); child.kill('SIGTERM'); });
  return new Promise((resolve, reject) => {
    let err = '';
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /"v2":"(ws:\/\/[^"]+)"/.exec(err);
      if (m?.[1] !== undefined) { child.stderr.removeAllListeners('data'); child.stderr.resume(); resolve({ url: m[1], stop }); }
    });
    child.once('exit', (code) => reject(new Error(`serve exited (${String(code)}): ${err}`)));
  });
}

const N = 20_000;
const CONTROL_ROUNDS = 200;

/** A v2 connection: numbered requests, events handed to a listener. */
class Conn {
  readonly ws: WebSocket;
  #id = 0;
  #replies = new Map<number, (f: Record<string, unknown>) => void>();
  readonly #waiters = new Set<{ pattern: RegExp; resolve: () => void }>();
  constructor(ws: WebSocket) {
    this.ws = ws;
    ws.on('message', (data: Buffer) => {
      const text = data.toString();
      if (text.startsWith('{"seq"')) {
        for (const w of this.#waiters) if (w.pattern.test(text)) { this.#waiters.delete(w); w.resolve(); }
        return;
      }
      const f = JSON.parse(text) as Record<string, unknown>;
      this.#replies.get(f.id as number)?.(f);
    });
  }
  static open(url: string): Promise<Conn> {
    return new Promise((resolve, reject) => { const ws = new WebSocket(url); ws.once('open', () => resolve(new Conn(ws))); ws.once('error', reject); });
  }
  /** Sends a request; rejects with the server's error, so a refused verb cannot leave the bench waiting. */
  request(op: string, params: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    const id = ++this.#id;
    return new Promise((resolve, reject) => {
      this.#replies.set(id, (f) => { if (f.ok === true) resolve(f); else reject(new Error(`${op}: ${JSON.stringify(f.error)}`)); });
      this.ws.send(JSON.stringify({ id, op, ...params }));
    });
  }
  /** Resolves at the first event whose text matches. */
  /** Resolves at the first event from now whose text matches; rejects (naming it) after 60 s. */
  until(pattern: RegExp): Promise<void> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => { this.#waiters.delete(w); reject(new Error(`no event matching ${String(pattern)} within 60 s`)); }, 60_000);
      const w = { pattern, resolve: () => { clearTimeout(t); resolve(); } };
      this.#waiters.add(w);
    });
  }
}

const pct = (sorted: number[], p: number): number => Math.round((sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * p) - 1)] ?? 0) * 1000) / 1000;

async function measure(kind: string): Promise<{ eventsPerS: number; p50: number; p99: number }> {
  const server = await serve(kind);
  const c = await Conn.open(server.url);
  const idle = (): Promise<void> => c.until(/"new":"idle"/);
  try {
    await c.request('subscribe', {});
    const stopDoc = /^\{"seq":\d+,"topic":"document","time":[\d.e+-]+,"data":\{"name":"stop"/;
    // Warm up, then the timed count.
    let seconds = 0;
    for (const num of [2000, N]) {
      const done = c.until(stopDoc);
      const over = idle();
      const t0 = performance.now();
      await c.request('start', { plan: 'count', params: { detectors: ['det'], num } });
      await done;
      seconds = (performance.now() - t0) / 1000;
      await over;
    }
    // Control latency: pause → paused, then resume, on a count that runs until aborted.
    const running = c.until(/"new":"running"/);
    await c.request('start', { plan: 'count', params: { detectors: ['det'], num: null, delay: 0.001 } });
    await running;
    const times: number[] = [];
    for (let i = 0; i < CONTROL_ROUNDS; i++) {
      const paused = c.until(/"new":"paused"/);
      const t0 = performance.now();
      await c.request('pause', { defer: false });
      await paused;
      times.push(performance.now() - t0);
      const resumed = c.until(/"new":"running","old":"paused"/);
      await c.request('resume');
      await resumed;
    }
    const over = idle();
    await c.request('abort', { reason: 'bench over' });
    await over;
    times.sort((a, b) => a - b);
    return { eventsPerS: Math.round(N / seconds), p50: pct(times, 0.5), p99: pct(times, 0.99) };
  } finally {
    c.ws.close();
    await server.stop();
  }
}

export async function benchWorker(): Promise<Record<string, number>> {
  const inproc = await measure('inprocess');
  const worker = await measure('worker');
  return {
    inprocess_count_events_per_s: inproc.eventsPerS, worker_count_events_per_s: worker.eventsPerS,
    worker_throughput_ratio: Math.round((worker.eventsPerS / inproc.eventsPerS) * 100) / 100,
    inprocess_control_ms_p50: inproc.p50, inprocess_control_ms_p99: inproc.p99,
    worker_control_ms_p50: worker.p50, worker_control_ms_p99: worker.p99,
  };
}
