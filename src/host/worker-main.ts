/**
 * The worker thread's program: build the room from `workerData`, then serve the
 * main thread's requests and send everything that happens back, in order.
 * Events are batched (outbox.ts: up to a millisecond's worth a postMessage);
 * a reply, a state change or a run's opening and closing documents go at once.
 * @module
 */
import { parentPort, workerData } from 'node:worker_threads';
import { RunEngine } from '../engine/index.js';
import { type Clock, systemClock } from '../model/clock.js';
import { errorInfo, type EngineRoom } from './room.js';
import { loadDevices, loadPlans, makeRoom } from './setup.js';
import type { HostEvent } from './types.js';
import { Outbox } from './outbox.js';
import { type WarmUp, warmUp } from './warm-up.js';
import { FLOW_HIGH, FLOW_LOW, type FromWorkerItem, type ToWorker, type WorkerBoot, type WorkerRequest, packDocument } from './wire.js';

const port = parentPort;
if (port === null) throw new Error('worker-main.ts runs only as a worker thread (see worker-host.ts)');

/** Flow control (see FLOW_HIGH in wire.ts): items posted but not yet handled by the main thread. */
let unacked = 0;
let creditWaiters: Array<() => void> = [];

/** What the worker sends, batched (outbox.ts); each batch counts against the flow control. */
const outbox = new Outbox<FromWorkerItem>((items) => {
  unacked += items.length;
  port.postMessage(items);
});

/** The engine's clock: as the system's, but yielding waits while the main thread is behind. */
const clock: Clock = {
  ...systemClock,
  yieldToLoop: () => new Promise<void>((resolve) => {
    if (unacked <= FLOW_HIGH) { setImmediate(resolve); return; }
    outbox.flush();
    creditWaiters.push(resolve);
  }),
};

function post(item: FromWorkerItem, urgent = false): void { outbox.post(item, urgent); }

/**
 * Documents travel as their JSON alone (packDocument, wire.ts). The server stores and frames that
 * text as it is (DOCUMENT_JSON, src/model/memo.ts), so encoding here takes that work off the server's
 * thread; and a string crosses threads for a copy of its bytes, where a cloned object costs both
 * threads a walk of its fields (a fast count through the server: ~8.4 → ~7.0 µs an event on the
 * server's thread when documents stopped crossing as objects as well).
 */
function postEvent(event: HostEvent): void {
  post(event.kind === 'document' ? packDocument(event.name, JSON.stringify(event.doc)) : { t: 'event', event }, urgent(event));
}

/**
 * Sent at once rather than with the next batch: state changes (control latency) and
 * the documents that open and shape a run, so a plan that then blocks this thread
 * cannot keep its run from being known (and closed) on the main thread.
 */
function urgent(e: HostEvent): boolean {
  return e.kind !== 'document' || e.name === 'start' || e.name === 'descriptor' || e.name === 'stop';
}

const boot = workerData as WorkerBoot;
let room: EngineRoom | null = null;
let warming: WarmUp | null = null;

async function handle(req: WorkerRequest): Promise<unknown> {
  if (room === null) throw new Error('the engine is not loaded');
  switch (req.op) {
    case 'validate': return room.check(req.name, req.params, req.md);
    case 'start': return room.start(req.request);
    case 'control': return room.control(req.verb, req.options);
    case 'setScanId': room.setScanId(req.n); return null;
    case 'stopAll': return room.stopAll();
    case 'shutdown': await room.shutdown(req.reason); return null;
  }
}

port.on('message', (msg: ToWorker) => {
  if (msg.t === 'ack') {
    unacked -= msg.n;
    if (unacked <= FLOW_LOW && creditWaiters.length > 0) {
      const waiters = creditWaiters;
      creditWaiters = [];
      for (const w of waiters) w();
    }
    return;
  }
  if (msg.t === 'ping') { post({ t: 'pong', id: msg.id }, true); return; }
  // The warm-up only ever has the thread while no plan needs it (a check or a scan id is no reason to stop it).
  if (msg.req.op !== 'validate' && msg.req.op !== 'setScanId') {
    warming?.stop();
    warming = null;
  }
  handle(msg.req).then(
    (result) => post({ t: 'reply', id: msg.id, result }, true),
    (error: unknown) => post({ t: 'reply', id: msg.id, result: { ok: false, reason: 'error', error: errorInfo(error) } }, true),
  );
});

try {
  const r = makeRoom(boot.setup, postEvent, { engineFactory: () => new RunEngine({ clock }) });
  r.setScanId(boot.scanId);
  await loadDevices(r, boot.setup); // released with the thread
  const catalog = await loadPlans(r, boot.setup);
  room = r;
  post({ t: 'ready', catalog }, true);
  // Each plan's parameter validator is compiled on its first check: a check with no parameters compiles it (and fails).
  if (boot.setup.warmUp === true) warming = warmUp(catalog.plans.map((plan) => () => { r.check(plan.name, {}); }));
} catch (e) {
  post({ t: 'failed', error: errorInfo(e) }, true);
}
