/**
 * Test plumbing for the HTTP API: a real `serve` (port 0, a temp data
 * directory, silent log), a raw SSE reader over fetch, and waiting helpers.
 * @module
 */
import { Writable } from 'node:stream';
import type { pino } from 'pino';
import { type ServeOptions, type Served, serve } from '../../src/cli/serve.js';
import type { Event } from '../../src/protocol/v2/types.js';
import { createLogger } from '../../src/server/index.js';
import { TempDirs } from '../store/tmp.js';

export const dirs = new TempDirs();

export const sink = (lines?: string[]): pino.DestinationStream => new Writable({
  write(c: Buffer, _e, cb) { lines?.push(c.toString('utf8')); cb(); },
}) as unknown as pino.DestinationStream;

export interface Up extends Served { base: string; down(): Promise<void> }

/** A served dispatcher with a run store; `base` is `http://127.0.0.1:PORT`. */
export async function up(options: ServeOptions = {}, logLines?: string[]): Promise<Up> {
  const s = await serve({ port: 0, data: dirs.make(), logger: createLogger({ level: 'info', destination: sink(logLines) }), ...options });
  const base = s.server.url.replace(/^ws/, 'http').replace(/\/$/, '');
  return { ...s, base, down: async () => { await s.dispatcher.stop('test over'); s.store?.close(); } };
}

/** One SSE message as parsed from the stream. */
export interface SseMessage { id: string | null; event: string; data: string }

/** Read `GET url` as SSE until `until` says stop (or the timeout); the connection is closed after. */
export async function readSse(url: string, headers: Record<string, string>, until: (m: SseMessage, all: SseMessage[]) => boolean, timeoutMs = 20_000): Promise<{ status: number; messages: SseMessage[]; body?: string }> {
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), timeoutMs);
  try {
    const res = await fetch(url, { headers, signal: ctl.signal });
    if (res.status !== 200 || res.body === null) return { status: res.status, messages: [], body: await res.text() };
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    const messages: SseMessage[] = [];
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return { status: res.status, messages };
      buffer += value;
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const m: SseMessage = { id: null, event: 'message', data: '' };
        let comment = true;
        for (const line of block.split('\n')) {
          if (line.startsWith(':')) continue;
          comment = false;
          const i = line.indexOf(':');
          const field = i < 0 ? line : line.slice(0, i);
          const v = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '');
          if (field === 'id') m.id = v;
          else if (field === 'event') m.event = v;
          else if (field === 'data') m.data = m.data === '' ? v : `${m.data}\n${v}`;
        }
        if (comment) continue;
        messages.push(m);
        if (until(m, messages)) { ctl.abort(); return { status: res.status, messages }; }
      }
    }
  } catch (e) {
    if (ctl.signal.aborted) throw new Error(`SSE read of ${url} timed out or was aborted: ${String(e)}`);
    throw e;
  } finally {
    clearTimeout(timer);
  }
}

export function eventOf(m: SseMessage): Event { return JSON.parse(m.data) as Event; }

export { until } from '../helpers/wait.js';
