/**
 * HTTP API figures: `http_start_to_running_ms` (p50/p99 of a `POST /api/start`
 * until its `running` state event arrives on an SSE stream at
 * `GET /api/events`, over loopback, 200 starts of a 1-point count), and
 * `auth_overhead_us`: the added cost per request of `Authorization: Bearer KEY`
 * (GET /api/status, with and without `--auth`, through `inject`).
 * @module
 */
import { hw } from '../src/devices/index.js';
import { registerStandardPlans } from '../src/dispatcher/index.js';
import { Authenticator, MemoryKeyStore } from '../src/auth/index.js';
import { HttpClient } from '../src/protocol/v2/http-client.js';
import { createDispatcher, createLogger, serverOf } from '../src/server/index.js';

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return Math.round((s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0) * 100) / 100;
}

export async function benchHttp(): Promise<Record<string, number>> {
  const d = createDispatcher({ devices: hw().devices, server: { port: 0, logger: createLogger({ level: 'silent' }) } });
  registerStandardPlans(d);
  await d.start();
  const server = serverOf(d);
  if (server === null) throw new Error('no server');
  const base = server.url.replace(/^ws/, 'http').replace(/\/$/, '');
  let waiter: ((state: string) => void) | null = null;
  // The typed client's SSE stream (GET /api/events?topics=state); the start stays a bare POST.
  const events = new HttpClient(base);
  events.on('state', (e) => waiter?.(e.data.new));
  await events.subscribe(['state']);
  const next = (state: string): Promise<void> => new Promise((resolve) => { waiter = (s) => { if (s === state) { waiter = null; resolve(); } }; });
  const samples: number[] = [];
  try {
    for (let i = 0; i < 220; i++) {
      const running = next('running');
      const t0 = performance.now();
      const r = await fetch(`${base}/api/start`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ plan: 'count', params: { detectors: ['det'], num: 1 } }) });
      if (r.status !== 200) throw new Error(`start: ${String(r.status)} ${await r.text()}`);
      await running;
      if (i >= 20) samples.push(performance.now() - t0); // the first ones warm the JIT
      await d.whenIdle();
    }
  } finally {
    events.close();
    await d.stop('bench over');
  }
  return { http_start_to_running_ms_p50: pct(samples, 50), http_start_to_running_ms_p99: pct(samples, 99), auth_overhead_us: await authOverhead() };
}

/** Median per-request time of GET /api/status (inject) with a bearer key on an --auth server, less without auth. */
async function authOverhead(): Promise<number> {
  const keys = new MemoryKeyStore();
  const { key } = await keys.create('bench', ['read']);
  const perRequest = async (auth: Authenticator | null): Promise<number> => {
    const d = createDispatcher({ devices: hw().devices, server: { port: 0, logger: createLogger({ level: 'silent' }), ...(auth === null ? {} : { auth }) } });
    await d.start();
    const app = serverOf(d)?.api.app;
    if (app === undefined) throw new Error('no server');
    const headers = auth === null ? {} : { authorization: `Bearer ${key}` };
    const rounds: number[] = [];
    try {
      for (let r = 0; r < 7; r++) {
        const t0 = performance.now();
        for (let i = 0; i < 500; i++) await app.inject({ method: 'GET', url: '/api/status', headers });
        rounds.push(((performance.now() - t0) / 500) * 1000);
      }
    } finally { await d.stop('bench over'); }
    return pct(rounds, 50);
  };
  await perRequest(null); // warms the JIT: the first server measured would otherwise look slower
  const withKey = await perRequest(new Authenticator({ keys }));
  const without = await perRequest(null);
  return Math.round((withKey - without) * 10) / 10;
}
