/**
 * `GET /api/events`: the event stream as Server-Sent Events. It is a protocol
 * v2 session whose one request is `subscribe {since, topics}`, over an HTTP
 * response instead of a websocket: the same committed event log, the same
 * replay rule (`Last-Event-ID` or `?since=N` is v2's `since`), the same
 * backpressure (streaming to a client waits while its unsent bytes exceed the
 * limit; one that falls behind the log is ended, as v2's 4008), so a slow
 * reader costs only its cursor. Each event is `id: SEQ`, `event: TOPIC`,
 * `data: EVENT` (the v2 event frame, the same bytes every subscriber gets);
 * heartbeats are comments.
 * @module
 */
import type { ServerResponse } from 'node:http';
import { ERRORS, type ErrorBody, OpError, badField } from '../ops/index.js';
import type { V2Hub } from '../protocol/v2/hub.js';
import type { V2Limits } from '../protocol/v2/ops.js';
import { type SessionHooks, V2Session } from '../protocol/v2/session.js';
import { CLOSE_TOO_SLOW, type Reply, TOPICS } from '../protocol/v2/types.js';

export interface SseRequest {
  /** The `Last-Event-ID` header (EventSource sends it when it reconnects). */
  lastEventId: string | undefined;
  /** `?since=N` (used when there is no Last-Event-ID). */
  since: string | undefined;
  /** `?topics=state,document` (default all). */
  topics: string | undefined;
}

export interface SseOptions {
  hub: V2Hub;
  serverId: string;
  limits: V2Limits;
  hooks?: SessionHooks;
  /** Every open stream, for the server's shutdown (ended with it). */
  streams: Set<ServerResponse>;
}

/** The subscribe request an SSE request stands for; throws `bad_request` naming the field. */
export function subscribeFrame(q: SseRequest): Record<string, unknown> {
  const frame: Record<string, unknown> = { id: 'sse', op: 'subscribe' };
  const since = q.lastEventId !== undefined && q.lastEventId.trim() !== '' ? { field: 'Last-Event-ID', text: q.lastEventId.trim() } : q.since === undefined ? null : { field: 'since', text: q.since };
  if (since !== null) {
    // Digits only, and exact: 400 digits read as Infinity, which streamed live as if no seq were given.
    if (!/^\d+$/.test(since.text) || !Number.isSafeInteger(Number(since.text))) throw badField(since.field, 'a non-negative integer (a seq)', since.text);
    frame.since = Number(since.text);
  }
  if (q.topics !== undefined) {
    const topics = q.topics.split(',').map((t) => t.trim()).filter((t) => t !== '');
    const bad = topics.filter((t) => !(TOPICS as readonly string[]).includes(t));
    if (topics.length === 0 || bad.length > 0) throw badField('topics', `a comma-separated list of ${TOPICS.join(', ')}`, q.topics);
    frame.topics = topics;
  }
  return frame;
}

// `{"seq":12,"topic":"state",...`: every log writes its events with seq and topic first.
const HEAD = /^\{"seq":(\d+),"topic":"([a-z]+)"/;

/** The SSE bytes of one v2 event frame. */
function sseEvent(frame: Buffer | string): string {
  const text = typeof frame === 'string' ? frame : frame.toString('utf8');
  const m = HEAD.exec(text.slice(0, 64));
  let seq: string;
  let topic: string;
  if (m !== null) { seq = m[1] ?? ''; topic = m[2] ?? ''; } else {
    const e = JSON.parse(text) as { seq: number; topic: string };
    seq = String(e.seq);
    topic = e.topic;
  }
  // JSON text never holds a raw newline, so the frame is one `data:` line.
  return `id: ${seq}\nevent: ${topic}\ndata: ${text}\n\n`;
}

/**
 * Serve one SSE request on `res` (the caller has checked who asks). Answers an
 * error (400 `bad_request`, 410 `replay_unavailable`) as JSON before any event.
 */
export function serveEvents(q: SseRequest, res: ServerResponse, opts: SseOptions): void {
  let frame: Record<string, unknown>;
  try { frame = subscribeFrame(q); } catch (e) {
    sendError(res, e as OpError);
    return;
  }
  let started = false;
  let ended = false;
  let drainedAt = performance.now();
  const end = (): void => {
    if (ended) return;
    ended = true;
    clearInterval(beat);
    session.dispose();
    opts.streams.delete(res);
    if (!res.writableEnded) res.end();
  };
  const session = new V2Session(opts.hub, {
    send: (data, done) => {
      if (!started) {
        // The first thing a session sends here is the subscribe reply.
        started = true;
        const reply = JSON.parse(String(data)) as Reply;
        if (!reply.ok) { sendError(res, reply.error); end(); done(); return; }
        res.writeHead(200, {
          'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive',
          // Proxies (nginx) must pass each event on at once.
          'x-accel-buffering': 'no',
        });
        res.write(`retry: 1000\nevent: subscribed\ndata: ${JSON.stringify(reply.result)}\n\n`, done);
        opts.streams.add(res);
        return;
      }
      res.write(sseEvent(data), () => { drainedAt = performance.now(); done(); });
    },
    batch: (write) => {
      res.cork();
      try { write(); } finally { res.uncork(); }
    },
    get buffered() { return res.writableLength; },
    get open() { return !ended && !res.destroyed; },
    close: (code, reason) => {
      // Fallen behind the log (v2's 4008): say so, then end; the client reconnects and is told what it missed.
      if (code === CLOSE_TOO_SLOW) res.write(`event: too_slow\ndata: ${JSON.stringify({ code, reason })}\n\n`);
      end();
    },
  }, opts.serverId, opts.limits, opts.hooks ?? {});
  // Heartbeats: a comment keeps proxies from timing the stream out, and a reader that took none of
  // our bytes for two intervals while some wait is ended (a stuck client must not hold its cursor forever).
  const every = opts.limits.heartbeatMs > 0 ? opts.limits.heartbeatMs : 15_000;
  const beat = setInterval(() => {
    if (!started || ended) return;
    if (res.writableLength > 0 && performance.now() - drainedAt > every * 2) { res.destroy(); end(); return; }
    if (res.writableLength < opts.limits.maxBufferedBytes) res.write(`: heartbeat ${String(Date.now())}\n\n`);
  }, every);
  beat.unref();
  res.on('close', end);
  session.receive(JSON.stringify(frame)).catch(() => end());
}

function sendError(res: ServerResponse, e: OpError | ErrorBody): void {
  const body = e instanceof OpError ? e.body : e;
  const status = ERRORS[body.code].status;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
}
