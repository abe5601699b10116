/**
 * `queue add PLAN --params JSON`, `queue list`, `queue start`, `queue stop`,
 * `queue remove UID`, `queue history`, `queue item UID`: the plan queue of a
 * running server over protocol v2 (docs/queue.md). A uid may be shortened to a
 * unique prefix, as `queue list` prints it. Exit 0 when done, 1 when the server
 * refuses, 2 for usage and connection errors.
 * @module
 */
import type { Command } from 'commander';
import type { Operations } from '../ops/index.js';
import { ClientError, type DispatcherClient } from '../protocol/v2/client.js';
import { UsageError } from './errors.js';
import { type UrlOptions, connect, resolveUrl, withUrlOptions } from './connect.js';
import { shortUid } from './format.js';

type Item = Operations['queue.get']['result']['items'][number];
type Entry = Operations['history.get']['result']['entries'][number];

interface QueueOptions extends UrlOptions {
  json?: boolean; params?: string; md?: string; front?: boolean; pos?: string; before?: string; after?: string; limit?: string;
}

function parseJson(flag: string, text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try { return JSON.parse(text) as unknown; } catch (e) { throw new UsageError(`${flag} must be JSON: ${(e as Error).message}`); }
}

function describe(item: Item): string {
  if (item.item_type === 'instruction') return `[${String(item.instruction)}]`;
  const params = JSON.stringify(item.params ?? {});
  return `${String(item.plan)} ${params.length > 80 ? `${params.slice(0, 77)}...` : params}`;
}

function time(t: number | null): string { return t === null ? '-' : new Date(t * 1000).toLocaleTimeString('en-GB'); }

function historyLine(e: Entry): string {
  const r = e.result;
  const runs = r.runs.map((x) => `run ${shortUid(x.uid)}${x.exit_status === null || x.exit_status === 'success' ? '' : ` (${x.exit_status}${x.reason ? `: ${x.reason}` : ''})`}`).join(', ');
  const error = r.error === null ? '' : ` — ${r.error.type}: ${r.error.message.split('\n')[0] ?? ''}`;
  return `${shortUid(e.item.item_uid)}  ${r.exit_status.padEnd(11)} ${time(r.time_start)}-${time(r.time_stop)}  ${describe(e.item)}${runs === '' ? '' : `  ${runs}`}${error}`;
}

/** A full uid from a unique prefix of a pending, running or recent item's uid. */
async function resolveUid(client: DispatcherClient, given: string): Promise<string> {
  if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(given)) return given;
  const view = await client.request('queue.get', {});
  const history = await client.request('history.get', { limit: 1000 });
  const uids = new Set([...view.items.map((i) => i.item_uid), ...(view.running === null ? [] : [view.running.item.item_uid]), ...history.entries.map((e) => e.item.item_uid)]);
  const matches = [...uids].filter((u) => u.startsWith(given));
  if (matches.length === 1) return matches[0] as string;
  if (matches.length === 0) return given; // the server names it: unknown_item
  throw new UsageError(`uid prefix '${given}' matches ${String(matches.length)} items; give more of it`);
}

type Sub = 'add' | 'list' | 'start' | 'stop' | 'remove' | 'history' | 'item';

async function run(sub: Sub, arg: string | undefined, client: DispatcherClient, o: QueueOptions): Promise<string> {
  const json = (v: unknown): string => JSON.stringify(v, null, 2);
  switch (sub) {
    case 'add': {
      const positions = [o.front === true, o.pos !== undefined, o.before !== undefined, o.after !== undefined].filter(Boolean).length;
      if (positions > 1) throw new UsageError('give one of --front, --pos, --before, --after');
      const params = parseJson('--params', o.params);
      const md = parseJson('--md', o.md);
      if (md !== undefined && (typeof md !== 'object' || md === null || Array.isArray(md))) throw new UsageError('--md must be a JSON object');
      const pos = o.pos === undefined ? undefined : Number(o.pos);
      if (pos !== undefined && !Number.isInteger(pos)) throw new UsageError(`--pos must be an integer, got '${String(o.pos)}'`);
      const item = arg === 'queue_stop' && params === undefined ? { instruction: 'queue_stop' as const }
        : { plan: arg ?? '', ...(params === undefined ? {} : { params }), ...(md === undefined ? {} : { md: md as Record<string, unknown> }) };
      const where = o.front === true ? { pos: 'front' as const } : pos !== undefined ? { pos }
        : o.before !== undefined ? { before_uid: await resolveUid(client, o.before) } : o.after !== undefined ? { after_uid: await resolveUid(client, o.after) } : {};
      const r = await client.request('queue.add', { item, ...where });
      if (o.json === true) return json(r);
      const added = r.items[0];
      return added === undefined ? 'nothing added' : `queued ${describe(added)} as item ${added.item_uid} (position ${String(r.index)})`;
    }
    case 'list': {
      const v = await client.request('queue.get', {});
      if (o.json === true) return json(v);
      const lines = [`queue ${v.state}${v.stop_pending ? ' (stops after the running item)' : ''}; mode loop=${String(v.mode.loop)} ignore_failures=${String(v.mode.ignore_failures)}`];
      if (v.running !== null) lines.push(`running ${shortUid(v.running.item.item_uid)}  ${describe(v.running.item)}  since ${time(v.running.time_start)}`);
      v.items.forEach((i, k) => lines.push(`${String(k).padStart(3)}  ${shortUid(i.item_uid)}  ${describe(i)}  (${i.user})`));
      if (v.items.length === 0) lines.push('no pending items');
      return lines.join('\n');
    }
    case 'start': { const r = await client.request('queue.start', {}); return o.json === true ? json(r) : 'queue started'; }
    case 'stop': {
      const r = await client.request('queue.stop', {});
      return o.json === true ? json(r) : r.stop_pending ? 'the queue stops after the running item' : 'queue stopped';
    }
    case 'remove': {
      const r = await client.request('queue.remove', { item_uid: await resolveUid(client, arg ?? '') });
      return o.json === true ? json(r) : `removed ${r.item.item_uid} (${describe(r.item)})`;
    }
    case 'history': {
      const limit = o.limit === undefined ? 20 : Number(o.limit);
      if (!Number.isInteger(limit) || limit < 1) throw new UsageError(`--limit must be a whole number >= 1, got '${String(o.limit)}'`);
      const r = await client.request('history.get', { limit: Math.min(limit, 1000) });
      if (o.json === true) return json(r);
      if (r.entries.length === 0) return 'no history';
      return [...r.entries.map(historyLine), ...(r.total > r.entries.length ? [`(${String(r.entries.length)} of ${String(r.total)}; --limit N for more)`] : [])].join('\n');
    }
    case 'item': {
      const r = await client.request('item.get', { item_uid: await resolveUid(client, arg ?? '') });
      if (o.json === true) return json(r);
      const lines = [`item ${r.item_uid}: ${r.status}${r.exit_status === null ? '' : ` (${r.exit_status})`}`, `  ${describe(r.item)}`, `  added by ${r.item.user} at ${time(r.item.time_added)}`];
      if (r.index !== null) lines.push(`  position ${String(r.index)} in the queue`);
      if (r.time_start !== null) lines.push(`  started ${time(r.time_start)}${r.time_stop === null ? '' : `, ended ${time(r.time_stop)}`}`);
      for (const x of r.runs) lines.push(`  run ${x.uid}: ${x.exit_status ?? 'open'}${x.reason ? ` (${x.reason})` : ''}`);
      if (r.error !== null) lines.push(`  error: ${r.error.type}: ${r.error.message}`);
      for (const a of r.attempts) lines.push(`  earlier: ${a.result.exit_status} ${time(a.result.time_start)}-${time(a.result.time_stop)}`);
      return lines.join('\n');
    }
  }
}

/** Run one queue command; resolves with the exit code. @throws UsageError for usage and connection errors */
export async function queueCommand(sub: Sub, arg: string | undefined, o: QueueOptions, out: NodeJS.WritableStream = process.stdout): Promise<number> {
  const url = resolveUrl(o);
  const client = await connect(url);
  try {
    out.write(`${await run(sub, arg, client, o)}\n`);
    return 0;
  } catch (e) {
    if (!(e instanceof ClientError)) throw e;
    process.stderr.write(`error: queue ${sub}: ${e.message} (${e.code})\n`);
    for (const d of e.details.slice(0, 10)) if (d.path !== '') process.stderr.write(`  ${d.path}: ${d.message}\n`);
    return 1;
  } finally {
    client.close();
  }
}

/** Add `queue …` to `program`. */
export function addQueueCommand(program: Command): void {
  const queue = program.command('queue').description('the plan queue of a running server: add, list, start, stop, remove, history, item (docs/queue.md)');
  const sub = (name: string, description: string): Command => withUrlOptions(queue.command(name).description(description)).option('--json', 'the server\'s answer as JSON');
  sub('add <plan>', 'queue a plan (checked as start checks); "queue_stop" queues the instruction that stops the queue')
    .option('--params <json>', 'the plan\'s parameters, as for start, e.g. \'{"detectors":["det"],"num":3}\'')
    .option('--md <json>', 'metadata for the start document(s)')
    .option('--front', 'at the front (the next to run)')
    .option('--pos <index>', 'at this index (negative: from the end)')
    .option('--before <uid>', 'just before this pending item')
    .option('--after <uid>', 'just after this pending item')
    .action(async (plan: string, o: QueueOptions) => { process.exitCode = await queueCommand('add', plan, o); });
  sub('list', 'the running item, the pending items, the state and the mode')
    .action(async (o: QueueOptions) => { process.exitCode = await queueCommand('list', undefined, o); });
  sub('start', 'start the queue').action(async (o: QueueOptions) => { process.exitCode = await queueCommand('start', undefined, o); });
  sub('stop', 'stop the queue after the running item').action(async (o: QueueOptions) => { process.exitCode = await queueCommand('stop', undefined, o); });
  sub('remove <uid>', 'remove a pending item').action(async (uid: string, o: QueueOptions) => { process.exitCode = await queueCommand('remove', uid, o); });
  sub('history', 'the items that ran, newest first').option('--limit <n>', 'at most this many (default 20)')
    .action(async (o: QueueOptions) => { process.exitCode = await queueCommand('history', undefined, o); });
  sub('item <uid>', 'one item: pending, running or done; its outcome, runs and error')
    .action(async (uid: string, o: QueueOptions) => { process.exitCode = await queueCommand('item', uid, o); });
}
