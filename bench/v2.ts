/**
 * Protocol v2 figures: documents of a fast count delivered to 100 v2
 * subscribers (counted at the clients), and reconnect-with-since after 10 000
 * missed events until caught up.
 * @module
 */
import { WebSocket } from 'ws';
import { hw } from '../src/devices/index.js';
import { registerStandardPlans } from '../src/dispatcher/index.js';
import { createDispatcher, createLogger, serverOf } from '../src/server/index.js';

interface Sub { ws: WebSocket; docs: number; last: number }

function open(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => { const ws = new WebSocket(url); ws.once('open', () => resolve(ws)); ws.once('error', reject); });
}

function request(ws: WebSocket, frame: Record<string, unknown>): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    const on = (d: Buffer): void => { const f = JSON.parse(String(d)) as Record<string, unknown>; if (f.id === frame.id) { ws.off('message', on); resolve(f); } };
    ws.on('message', on);
    ws.send(JSON.stringify(frame));
  });
}

export async function benchV2(): Promise<{ v2_fanout_events_per_s: number; v2_resume_ms: number }> {
  const d = createDispatcher({ devices: hw().devices, server: { port: 0, logger: createLogger({ level: 'silent' }), v2: { logMaxEvents: 200_000, logMaxBytes: 256 * 1024 * 1024, maxBufferedBytes: 4 * 1024 * 1024 } } });
  registerStandardPlans(d);
  await d.start();
  const server = serverOf(d);
  if (server === null) throw new Error('no server');
  const url = `${server.url}v2`;
  try {
    // Fan-out: 100 subscribers to the document topic, one fast count.
    const subs: Sub[] = [];
    for (let i = 0; i < 100; i++) {
      const ws = await open(url);
      // All topics, so the last event (the final idle) tells a client it has everything; documents are counted.
      await request(ws, { id: 's', op: 'subscribe' });
      const sub: Sub = { ws, docs: 0, last: 0 };
      ws.on('message', (data: Buffer) => {
        const head = data.toString('latin1', 0, 48);
        if (head.includes('"topic":"document"')) sub.docs++;
        sub.last = Number(/"seq":(\d+)/.exec(head)?.[1] ?? 0);
      });
      subs.push(sub);
    }
    const t0 = performance.now();
    d.startScan('count', { detectors: ['det'], num: 2000 });
    await d.whenIdle();
    const latest = server.v2.hub.log.latest();
    await Promise.all(subs.map((s) => new Promise<void>((resolve) => {
      const check = (): void => { if (s.last >= latest) resolve(); else setImmediate(check); };
      check();
    })));
    const seconds = (performance.now() - t0) / 1000;
    const delivered = subs.reduce((n, s) => n + s.docs, 0);
    for (const s of subs) s.ws.close();
    // Resume: a client misses 10 000 events, reconnects with since, and catches up.
    const since = server.v2.hub.log.latest();
    d.startScan('count', { detectors: ['det'], num: 5000 });
    await d.whenIdle();
    const target = server.v2.hub.log.latest();
    if (target - since < 10_000) throw new Error(`only ${String(target - since)} events missed`);
    const t1 = performance.now();
    const ws = await open(url);
    await new Promise<void>((resolve) => {
      ws.on('message', (data: Buffer) => { if (String(data).startsWith(`{"seq":${String(target)},`)) resolve(); });
      ws.send(JSON.stringify({ id: 1, op: 'subscribe', since }));
    });
    const resumeMs = performance.now() - t1;
    ws.close();
    return { v2_fanout_events_per_s: Math.round(delivered / seconds), v2_resume_ms: Math.round(resumeMs * 10) / 10 };
  } finally {
    await d.stop('bench over');
  }
}

