/**
 * Test plumbing for protocol v1: a real server on port 0 with the transcript's
 * scans (slow_count, fast_count, failing, simulated behind a gate), a ws client
 * that records every message and the close code, and transcript helpers.
 * @module
 */
import { readFileSync } from 'node:fs';
import { WebSocket } from 'ws';
import { SocketClient, openClient } from '../helpers/socket-client.js';
import type { Dispatcher } from '../../src/dispatcher/index.js';
import { testEngine } from '../helpers/engine.js';
import { Gate, GateBroker } from '../helpers/gates.js';
import { type DispatcherServer, createDispatcher, createLogger, serverOf } from '../../src/server/index.js';

export { Gate };

/** Holds the `gated` plan; tests replace `gate` before each run. */
export interface GateHolder { gate: Gate }

export interface TestServer extends GateHolder {
  dispatcher: Dispatcher;
  server: DispatcherServer;
  url: string;
  close(): Promise<void>;
}

export interface TestServerOptions {
  /** Holds `simulated`'s artificial wait. */
  simulatedGate?: () => Promise<void>;
  /** More gates the test plans wait at, by name (`cleanup`: held_cleanup's cleanup). */
  gates?: Readonly<Record<string, () => Promise<void>>>;
  /** slow_count runs until `gate` opens. */
  slowCountGated?: boolean;
}

/**
 * A real server on 127.0.0.1:0 with the standard plans and the test plans
 * (test/fixtures/test-plans.ts) in the engine's worker; logs silenced.
 */
export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const holder: GateHolder = { gate: new Gate() };
  const broker = new GateBroker(
    { gated: () => holder.gate.promise, ...(options.simulatedGate === undefined ? {} : { simulated: options.simulatedGate }), ...options.gates },
    { simulatedGated: options.simulatedGate !== undefined, slowCountGated: options.slowCountGated ?? false },
  );
  broker.publish();
  const dispatcher = createDispatcher({ engine: testEngine(), server: { port: 0, logger: createLogger({ level: 'silent' }) } });
  await dispatcher.start();
  const server = serverOf(dispatcher);
  if (server === null) throw new Error('no server');
  return Object.assign(holder, {
    dispatcher, server, url: server.url,
    close: async () => { holder.gate.open(); await dispatcher.stop('test over'); broker.close(); },
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
