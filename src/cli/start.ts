/**
 * `bluesky-dispatcher start PLAN --params JSON [--url] [--wait]`: start a plan
 * on a running server (protocol v2); with --wait follow it to its end, and exit
 * 0 on success, 1 on failure or abort, 2 on bad input.
 * @module
 */
import type { Command } from 'commander';
import { ClientError, DispatcherClient, type Event, type StateData } from '../protocol/v2/client.js';
import { displayFor, DEFAULT_URL } from './watch.js';

export interface StartOptions { params: string; md?: string; url: string; wait?: boolean }

const INPUT_ERRORS = new Set(['bad_request', 'unknown_plan', 'invalid_params', 'too_large']);

function parseObject(flag: string, text: string): Record<string, unknown> {
  let v: unknown;
  try { v = JSON.parse(text); } catch { throw new ClientError('bad_request', `${flag} is not valid JSON: ${text}`); }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ClientError('bad_request', `${flag} must be a JSON object`);
  return v as Record<string, unknown>;
}

/** Start (and maybe follow) a plan; resolves with the exit code. */
export async function startCommand(plan: string, opts: StartOptions, out: NodeJS.WriteStream = process.stdout): Promise<number> {
  const client = new DispatcherClient(opts.url);
  try {
    const params = parseObject('--params', opts.params);
    const md = opts.md === undefined ? {} : parseObject('--md', opts.md);
    if (opts.wait !== true) {
      const r = await client.start(plan, params, md);
      out.write(`started ${r.plan} item ${r.item_id}\n`);
      return 0;
    }
    return await follow(client, plan, params, md, out);
  } catch (e) {
    const code = e instanceof ClientError ? e.code : 'error';
    const details = e instanceof ClientError && e.details.length > 0 ? `\n  ${e.details.map((d) => `${d.path}: ${d.message}`).join('\n  ')}` : '';
    process.stderr.write(`error (${code}): ${e instanceof Error ? e.message : String(e)}${details}\n`);
    return INPUT_ERRORS.has(code) ? 2 : 1;
  } finally {
    client.close();
  }
}

/** Subscribe first (so nothing is missed), start, and follow the item until the server moves on from it. */
async function follow(client: DispatcherClient, plan: string, params: Record<string, unknown>, md: Record<string, unknown>, out: NodeJS.WriteStream): Promise<number> {
  const display = displayFor(out);
  let itemId: string | null = null;
  let failed = false;
  const early: Event[] = [];
  let finish: () => void = () => {};
  const finished = new Promise<void>((resolve) => { finish = resolve; });
  const onEvent = (e: Event): void => {
    if (itemId === null) { early.push(e); return; }
    const mine = (e.data as { item_id?: unknown }).item_id === itemId || e.topic === 'document';
    if (!mine) return;
    display.event(e);
    if (e.topic === 'exception') failed = true;
    if (e.topic === 'document' && (e.data as { name: string }).name === 'stop') {
      const status = (e.data as { doc: { exit_status?: string } }).doc.exit_status;
      out.write(`run finished: ${status ?? '?'}\n`);
      if (status !== 'success') failed = true;
    }
    if (e.topic === 'state' && (e.data as StateData).new === 'idle') {
      // The item may run several plans: it is over once the server no longer names it.
      client.status().then((st) => { if (st.item_id !== itemId) finish(); }, () => undefined);
    }
  };
  client.on('event', onEvent);
  await client.subscribe(['state', 'progress', 'exception', 'document']);
  const r = await client.start(plan, params, md);
  itemId = r.item_id;
  out.write(`started ${r.plan} item ${r.item_id}\n`);
  for (const e of early.splice(0)) onEvent(e);
  const st = await client.status();
  if (st.item_id !== itemId) finish(); // it was over before we asked
  await finished;
  display.end();
  return failed ? 1 : 0;
}

export function addStartCommand(program: Command): Command {
  return program.command('start <plan>')
    .description('start a plan on a running server (protocol v2); --wait follows it and exits 0 on success, 1 on failure/abort, 2 on bad input')
    .option('--params <json>', 'plan parameters as a JSON object', '{}')
    .option('--md <json>', 'run metadata as a JSON object')
    .option('--url <url>', 'the server\'s v2 endpoint', DEFAULT_URL)
    .option('--wait', 'follow the plan to its end; the exit code reports how it ended')
    .action(async (planName: string, o: StartOptions) => { process.exitCode = await startCommand(planName, o); });
}
