/**
 * `bluesky-dispatcher start PLAN --params JSON [--md JSON] [--url|--port] [--wait]`:
 * start a plan on a running server (protocol v2). With --wait, follow the item
 * until the server is done with it (its runs ended, or it failed before any
 * run) and exit 0 on success (a pause that was resumed is not a failure), 1 on
 * fail, abort or halt, 2 on bad input. It never waits for an item that is over.
 * @module
 */
import type { Command } from 'commander';
import { ClientError, type DispatcherClient, type Event, type ExceptionData } from '../protocol/v2/client.js';
import { TOPICS, type Topic } from '../protocol/v2/types.js';
import { type UrlOptions, connect, resolveUrl, withUrlOptions } from './connect.js';
import { UsageError } from './errors.js';
import { displayFor } from './progress.js';

export interface StartOptions extends UrlOptions { params: string; md?: string; wait?: boolean }

/** Refusals that mean "your input is wrong": exit 2. */
const INPUT_ERRORS = new Set(['bad_request', 'unknown_plan', 'invalid_params', 'too_large']);
/** With --wait: how long the server may stay unreachable before we give up on it. */
const LOST_AFTER_MS = 30_000;
/**
 * The server answers a `status` at once, while events reach a subscriber a moment later (after
 * their commit, in the next pump): "the item is over" can arrive before the item's last events.
 * The status carries the seq of the stream's last event, so every event of the item is at or
 * before it; the wait ends once the stream has reached that seq. It subscribes to every topic
 * for that, since the last event may be on any. This long after the server first said the item
 * was over, the wait ends anyway (a stream that lost events resyncs, and says so).
 */
const OVER_GRACE_MS = 2_000;
/** The topics whose events make up an item's outcome and display; the others only move the seq on. */
const ITEM_TOPICS: ReadonlySet<Topic> = new Set(['state', 'progress', 'exception', 'document']);

function parseObject(flag: string, text: string): Record<string, unknown> {
  let v: unknown;
  try { v = JSON.parse(text); } catch { throw new UsageError(`${flag} is not valid JSON: ${text}`); }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new UsageError(`${flag} must be a JSON object, got ${text}`);
  return v as Record<string, unknown>;
}

/** Start (and maybe follow) a plan; resolves with the exit code. @throws UsageError for usage and connection errors */
export async function startCommand(plan: string, opts: StartOptions, out: NodeJS.WriteStream = process.stdout): Promise<number> {
  const params = parseObject('--params', opts.params);
  const md = opts.md === undefined ? {} : parseObject('--md', opts.md);
  const client = await connect(resolveUrl(opts));
  try {
    if (opts.wait !== true) {
      const r = await client.start(plan, params, md);
      out.write(`started ${r.plan} item ${r.item_id}\n`);
      return 0;
    }
    return await followItem(client, plan, params, md, out);
  } catch (e) {
    if (!(e instanceof ClientError)) throw e;
    const details = e.details.length > 0 ? `: ${e.details.map((d) => `${d.path}: ${d.message}`).join('; ')}` : '';
    process.stderr.write(`error (${e.code}): ${e.message}${details}\n`);
    return INPUT_ERRORS.has(e.code) ? 2 : 1;
  } finally {
    client.close();
  }
}

/** The engine going idle, or an exception: an event after which the item may be over (followItem asks then). */
function mayEndItem(e: Event): boolean {
  return e.topic === 'exception' || (e.topic === 'state' && e.data.new === 'idle');
}

/** How an item went, from its events: runs' exit statuses, failures, interruptions. */
class Outcome {
  runs = 0;
  failed: string | null = null;
  paused = false;

  /** Fold in one event of the item; returns a line to print, if any. */
  add(e: Event): string | null {
    if (e.topic === 'document' && e.data.name === 'start') this.runs++;
    if (e.topic === 'document' && e.data.name === 'stop') {
      const doc = e.data.doc as { exit_status?: string; reason?: string };
      if (doc.exit_status !== 'success') this.failed ??= `a run ended ${doc.exit_status ?? '?'}${doc.reason ? `: ${doc.reason}` : ''}`;
      return `run finished: ${doc.exit_status ?? '?'}${doc.reason ? ` (${doc.reason})` : ''}`;
    }
    if (e.topic === 'exception') {
      const d = e.data as ExceptionData;
      // A pause is not a failure; the runs' stop documents say how a stop or abort ended. An abort or
      // halt with no run open leaves no stop document: the interruption itself is the failure then.
      if (d.interruption === 'pause') this.paused = true;
      else if (d.interruption === null || d.interruption === 'abort' || d.interruption === 'halt') this.failed ??= d.summary;
    }
    return null;
  }

  get code(): number { return this.failed === null ? 0 : 1; }
}

/**
 * Subscribe first (so nothing is missed), start, and follow the item until
 * the server no longer names it and the stream has reached the seq of that
 * answer: asked at the start, after every idle transition, every exception and
 * every resubscription (and again while the engine is idle but the item not
 * yet over). The engine goes idle between the runs of a scan function, so an
 * idle alone never ends the wait. A plan that fails at once or never opens a
 * run cannot hang it.
 */
export async function followItem(client: DispatcherClient, plan: string, params: Record<string, unknown>, md: Record<string, unknown>, out: NodeJS.WriteStream): Promise<number> {
  const display = displayFor(out);
  const outcome = new Outcome();
  let itemId: string | null = null;
  const early: Event[] = [];
  let finish: (lost?: string) => void = () => {};
  const finished = new Promise<string | undefined>((resolve) => { finish = resolve; });
  // No event says "the item is over" (the engine going idle comes first; the scan function ends a
  // little later, and a user's scan may sleep between runs while idle): while the engine is idle and
  // the server still names our item, ask again, at most once a second. Paused or running: events will come.
  let recheck: ReturnType<typeof setTimeout> | undefined;
  let recheckMs = 50;
  let over = false;
  void finished.then(() => { over = true; });
  const again = (): void => {
    // Once the wait is over the client closes: its failing answers must not start the asking again.
    if (over || recheck !== undefined) return;
    recheck = setTimeout(() => { recheck = undefined; checkOver(); }, recheckMs);
    recheckMs = Math.min(1000, recheckMs * 2);
  };
  /** The last seq the stream has brought: the client's resume point (the subscription's snapshot, then each event's). */
  const seen = (): number => client.lastSeq ?? -1;
  /** Once the server no longer names the item: the seq its answer included (every event of the item is at or before it). */
  let overAt: number | null = null;
  let overSince: number | null = null;
  const checkOver = (): void => {
    if (over) return;
    client.status().then((st) => {
      if (st.item_id !== itemId) {
        overAt = st.seq;
        overSince ??= performance.now();
        if (seen() >= overAt || performance.now() - overSince >= OVER_GRACE_MS) { finish(); return; }
        again(); // its last events are on their way (onEvent finishes when they come; OVER_GRACE_MS)
        return;
      }
      if (st.state !== 'idle' || recheck !== undefined) { recheckMs = 50; return; }
      again();
    // A status that failed (a timeout, a dropped connection) is asked again: the last event may
    // already have come, and nothing else would ask (a lost server ends the wait on its own).
    }, again);
  };
  const onEvent = (e: Event): void => {
    if (itemId === null) { early.push(e); return; }
    if (ofItem(e)) {
      display.event(e);
      const line = outcome.add(e);
      if (line !== null) out.write(`${line}\n`);
      if (mayEndItem(e)) checkOver();
    }
    if (overAt !== null && seen() >= overAt) finish();
  };
  // One item runs at a time: documents, exceptions and state changes after our start are ours until it ends.
  const ofItem = (e: Event): boolean => {
    if (!ITEM_TOPICS.has(e.topic)) return false;
    const owner = e.topic === 'document' ? null : (e.data as { item_id?: string | null }).item_id ?? null;
    return owner === null || owner === itemId;
  };
  client.on('event', onEvent);
  // Reconnected: the item may have ended meanwhile; a server that stays away ends the wait.
  let lostTimer: ReturnType<typeof setTimeout> | undefined;
  client.on('close', () => {
    lostTimer ??= setTimeout(() => finish(`lost the connection to ${client.url}`), LOST_AFTER_MS);
    lostTimer.unref(); // the client's reconnection keeps the process alive; this only ends the wait
  });
  const back = (): void => { clearTimeout(lostTimer); lostTimer = undefined; if (itemId !== null) checkOver(); };
  client.on('subscribed', back);
  client.on('resync', () => { outcome.failed ??= 'the server restarted or dropped events: how the item ended is unknown'; back(); });
  try {
    await client.subscribe([...TOPICS]);
    const r = await client.start(plan, params, md);
    itemId = r.item_id;
    out.write(`started ${r.plan} item ${r.item_id}\n`);
    for (const e of early.splice(0)) onEvent(e);
    checkOver(); // it may be over already
    const lost = await finished;
    display.end();
    if (lost !== undefined) { process.stderr.write(`error: ${lost}\n`); return 1; }
    if (outcome.failed !== null) out.write(`item failed: ${outcome.failed}\n`);
    else out.write(`item done: ${String(outcome.runs)} run(s), success${outcome.paused ? ' (paused along the way)' : ''}\n`);
    return outcome.code;
  } finally {
    clearTimeout(lostTimer);
    clearTimeout(recheck);
  }
}

export function addStartCommand(program: Command): Command {
  return withUrlOptions(program.command('start <plan>')
    .description('start a plan on a running server (protocol v2); --wait follows it and exits 0 on success, 1 on fail/abort/halt, 2 on bad input')
    .option('--params <json>', 'plan parameters as a JSON object', '{}')
    .option('--md <json>', 'run metadata as a JSON object')
    .option('--wait', 'follow the plan to its end; the exit code reports how it ended'))
    .action(async (planName: string, o: StartOptions) => { process.exitCode = await startCommand(planName, o); });
}
