/**
 * Test plumbing for protocol v1: a real server on port 0 with the transcript's
 * scans (slow_count, fast_count, failing, simulated behind a gate), a ws client
 * that records every message and the close code, and transcript helpers.
 * @module
 */
import { readFileSync } from 'node:fs';
import { WebSocket } from 'ws';
import { SocketClient, openClient } from '../helpers/socket-client.js';
import { hw } from '../../src/devices/index.js';
import { type Dispatcher, makeSimulatedScan, registerSimulated, registerStandardPlans } from '../../src/dispatcher/index.js';
import type { Plan } from '../../src/model/msg.js';
import type { Readable } from '../../src/model/protocols.js';
import { checkpoint, count, mv, runWrapper, triggerAndRead, waitFor } from '../../src/plans/index.js';
import { type DispatcherServer, createDispatcher, createLogger, serverOf } from '../../src/server/index.js';

/** Python's ValueError, for the `failing` plan's recorded repr. */
export class ValueError extends Error {
  constructor(message: string) { super(message); this.name = 'ValueError'; }
}

/** A promise with its resolve function: lets a test hold a scan until it says go. */
export class Gate {
  #open!: () => void;
  readonly promise = new Promise<void>((resolve) => { this.#open = resolve; });
  open(): void { this.#open(); }
}

function* failing(det: Readable, motor: unknown): Plan<void> {
  yield* runWrapper((function* body(): Plan<void> {
    yield* mv(motor, 1);
    yield* triggerAndRead([det]);
    yield* mv(motor, 2);
    yield* triggerAndRead([det]);
    throw new ValueError('planned failure after 2 events');
  })());
}

/** A run that stays "running" until the gate opens (a checkpoint first, so it can pause). */
function* gated(det: Readable, gate: () => Promise<void>): Plan<void> {
  yield* runWrapper((function* body(): Plan<void> {
    yield* checkpoint();
    yield* triggerAndRead([det]);
    yield* waitFor([gate]);
    yield* triggerAndRead([det]);
  })());
}

/** Holds the `gated` plan; tests replace `gate` before each run. */
export interface GateHolder { gate: Gate }

/**
 * The transcripts' test scans, plus `gated` (running until `holder.gate` opens).
 * `simulatedGate` holds `simulated`'s artificial wait.
 */
export function registerTestScans(d: Dispatcher, holder: GateHolder, simulatedGate?: () => Promise<void>, slowCountGated = false): void {
  const det = d.devices.get('det') as Readable;
  d.addPlan('gated', () => gated(det, () => holder.gate.promise), { type: 'object', additionalProperties: false, properties: {} });
  // Gated, slow_count runs until the test opens the gate, so mid-run verbs never race the plan's end.
  d.addPlan('slow_count', (p) => (slowCountGated ? gated(det, () => holder.gate.promise) : count([det], { num: p.num as number, delay: p.delay as number })), {
    type: 'object', additionalProperties: false,
    properties: { num: { type: 'integer', minimum: 1, default: 5 }, delay: { type: 'number', minimum: 0, default: 0.2 } },
  });
  d.addPlan('fast_count', () => count([det]), { type: 'object', additionalProperties: false, properties: {} });
  d.addPlan('failing', (_p, devs) => failing(det, devs.get('motor')), { type: 'object', additionalProperties: false, properties: {} });
  registerSimulated(d, 'simulated', makeSimulatedScan(simulatedGate === undefined ? undefined : () => simulatedGate()));
}

export interface TestServer extends GateHolder {
  dispatcher: Dispatcher;
  server: DispatcherServer;
  url: string;
  close(): Promise<void>;
}

/** A real server on 127.0.0.1:0 with the standard plans and the test scans; logs silenced. */
export async function startTestServer(options: { simulatedGate?: () => Promise<void>; setup?: (d: Dispatcher) => void; slowCountGated?: boolean } = {}): Promise<TestServer> {
  const dispatcher = createDispatcher({ devices: hw().devices, server: { port: 0, logger: createLogger({ level: 'silent' }) } });
  const holder: GateHolder = { gate: new Gate() };
  registerStandardPlans(dispatcher);
  registerTestScans(dispatcher, holder, options.simulatedGate, options.slowCountGated);
  options.setup?.(dispatcher);
  await dispatcher.start();
  const server = serverOf(dispatcher);
  if (server === null) throw new Error('no server');
  return Object.assign(holder, {
    dispatcher, server, url: server.url,
    close: async () => { holder.gate.open(); await dispatcher.stop('test over'); },
  });
}

/** A websocket client that records every message and how it closed. */
export class Client extends SocketClient {
  readonly messages: string[] = [];

  private constructor(ws: WebSocket) { super(ws); }

  static connect(url: string): Promise<Client> { return openClient(url, (ws) => new Client(ws)); }

  protected onMessage(text: string): void { this.messages.push(text); }

  send(frame: string | object): void { this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame)); }

  /** Messages parsed as JSON. */
  get parsed(): Array<Record<string, unknown>> { return this.messages.map((m) => JSON.parse(m) as Record<string, unknown>); }

  /** Wait until `n` messages have arrived (or the socket closed). */
  async count(n: number): Promise<string[]> {
    while (this.messages.length < n && this.ws.readyState !== WebSocket.CLOSED) await this.nextMessage();
    return this.messages.slice(0, n);
  }

  /** Wait for a message (from index `from`) matching `pred`; returns its index. */
  async waitFor(pred: (m: Record<string, unknown>) => boolean, from = 0): Promise<number> {
    for (let i = from; ; i++) {
      await this.count(i + 1);
      const raw = this.messages[i];
      if (raw === undefined) throw new Error(`socket closed before a matching message; got ${JSON.stringify(this.messages)}`);
      if (pred(JSON.parse(raw) as Record<string, unknown>)) return i;
    }
  }
}

/** One request on a fresh connection; waits for the server to close it. */
export async function exchange(url: string, frame: string | object): Promise<{ responses: string[]; code: number }> {
  const c = await Client.connect(url);
  c.send(frame);
  const { code } = await c.closed;
  return { responses: c.messages, code };
}

/** Subscribe on a fresh connection; resolves once the first status message arrived. */
export async function subscribe(url: string): Promise<Client> {
  const c = await Client.connect(url);
  c.send({ type: 'subscribe' });
  await c.count(1);
  return c;
}

/** One record of the Python dispatcher's transcripts. */
export interface TranscriptRecord {
  kind: 'exchange' | 'subscription';
  suite: 'example' | 'seed' | 'bugfix';
  scenario: string;
  conn: number;
  request: string;
  responses: Array<string | { t: number; raw: string }>;
  closed: { code?: number; reason?: string; by?: string } | null;
}

const TRANSCRIPTS = new URL('../fixtures/python-reference/seed/transcripts.jsonl', import.meta.url);

export function loadTranscripts(): TranscriptRecord[] {
  return readFileSync(TRANSCRIPTS, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as TranscriptRecord);
}

/** The raw text of each recorded response. */
export function rawResponses(r: TranscriptRecord): string[] {
  return r.responses.map((x) => (typeof x === 'string' ? x : x.raw));
}

const UID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;
const TIME = /\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{6})?\+00:00/g;
const VERSION = /"bluesky_dispatcher_version": "[^"]*"/g;

/** Mask what legitimately differs between runs: uids, times, our version. */
export function mask(text: string): string {
  return text.replace(UID, '<uid>').replace(TIME, '<time>').replace(VERSION, '"bluesky_dispatcher_version": "<version>"');
}
