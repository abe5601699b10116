/**
 * `status`, `pause [--defer]`, `resume`, `stop`, `abort [--reason TEXT]`,
 * `halt`, `stop-all`, `lock status|acquire|release`: one request to a running
 * server (protocol v2), one line of answer.
 * Exit 0 when done, 1 when the engine refuses (e.g. `resume` when not
 * paused), 2 for usage and connection errors.
 * @module
 */
import type { Command } from 'commander';
import { ClientError, type DispatcherClient, type Status } from '../protocol/v2/client.js';
import { type UrlOptions, connect, resolveUrl, withUrlOptions } from './connect.js';
import { shortUid } from './format.js';

/** One line for people: `running count (run 1a2b3c4d, item 5e6f7a8b, since 14:03:07)`. */
export function statusLine(st: Status): string {
  if (st.plan === null && !st.busy) return st.state;
  const parts = [
    st.run_uid === null ? null : `run ${shortUid(st.run_uid)}`,
    st.item_id === null ? null : `item ${shortUid(st.item_id)}`,
    st.run_start_time === null ? null : `since ${new Date(st.run_start_time * 1000).toLocaleTimeString('en-GB')}`,
  ].filter((p) => p !== null);
  const hint = st.state === 'paused' ? ' — resume, stop, abort or halt' : '';
  return `${st.state} ${st.plan ?? ''}${parts.length > 0 ? ` (${parts.join(', ')})` : ''}${hint}`.replace(/ +/g, ' ');
}

/** What each verb does, and what it prints once the server has accepted it (the transition follows). */
const VERBS = {
  pause: { help: 'pause the running plan (now, rewinding to the last checkpoint; --defer: at the next checkpoint)', did: 'pausing (it resumes from the last checkpoint)' },
  resume: { help: 'resume a paused plan from its last checkpoint', did: 'resuming from the last checkpoint' },
  stop: { help: 'stop the plan: cleanup runs, the run ends with exit_status success', did: 'stopping (cleanup runs; the run ends as a success)' },
  abort: { help: 'abort the plan: cleanup runs, the run ends with exit_status abort (and --reason in its stop document)', did: 'aborting (cleanup runs; the run ends as aborted)' },
  halt: { help: 'halt the plan at once, skipping cleanup (emergency stop); the run ends with exit_status abort', did: 'halting (no cleanup; the run ends as aborted)' },
} as const;
type Verb = keyof typeof VERBS;

/** When each verb is allowed (bluesky's transition table), for the line that explains a refusal. */
const RULES: Record<Verb, string> = {
  pause: 'only a running plan can be paused',
  resume: 'only a paused plan can be resumed',
  stop: 'only a running or paused plan can be stopped',
  abort: 'only a running or paused plan can be aborted',
  halt: 'only a running or paused plan can be halted',
};

interface VerbOptions extends UrlOptions { defer?: boolean; reason?: string; json?: boolean }

async function call(verb: Verb | 'status', client: DispatcherClient, o: VerbOptions): Promise<string> {
  switch (verb) {
    case 'status': {
      const st = await client.status();
      return o.json === true ? JSON.stringify(st) : statusLine(st);
    }
    case 'pause': await client.pause(o.defer === true); return o.defer === true ? 'pausing at the next checkpoint' : VERBS.pause.did;
    case 'resume': await client.resume(); return VERBS.resume.did;
    case 'stop': await client.stop(); return VERBS.stop.did;
    case 'abort': await client.abort(o.reason ?? ''); return o.reason ? `${VERBS.abort.did}: ${o.reason}` : VERBS.abort.did;
    case 'halt': await client.halt(); return VERBS.halt.did;
  }
}

/**
 * One request on a fresh connection: `run` prints its answer and returns the exit code. A
 * refusal is an answer, not a crash: one line on stderr (`refusal`'s, else `error: WHAT: message
 * (code)`), exit 1. @throws UsageError for usage and connection errors
 */
async function oneRequest(o: UrlOptions, what: string, run: (c: DispatcherClient) => Promise<number>, refusal?: (e: ClientError, c: DispatcherClient) => Promise<string | null>): Promise<number> {
  const client = await connect(resolveUrl(o));
  try {
    return await run(client);
  } catch (e) {
    if (!(e instanceof ClientError)) throw e;
    process.stderr.write(`${(await refusal?.(e, client)) ?? `error: ${what}: ${e.message} (${e.code})`}\n`);
    return 1;
  } finally {
    client.close();
  }
}

/** Run one verb against the server; resolves with the exit code. @throws UsageError for usage and connection errors */
export function controlCommand(verb: Verb | 'status', o: VerbOptions, out: NodeJS.WritableStream = process.stdout): Promise<number> {
  return oneRequest(o, verb, async (client) => { out.write(`${await call(verb, client, o)}\n`); return 0; }, async (e, client) => {
    // The engine's refusal ("resume when not paused", …) says why in words.
    if (e.code !== 'illegal_state' || verb === 'status') return null;
    const st = await client.status().catch(() => null);
    return `error: cannot ${verb}: the engine is ${st?.state ?? 'not in a state that allows it'}; ${RULES[verb]}`;
  });
}

type StopAll = Awaited<ReturnType<DispatcherClient['stopAll']>>;

/** The stop_all report as lines: what the engine was doing, then each device and emergency function. */
export function stopAllLines(r: StopAll): string {
  const engine = r.engine.action === 'none' ? `engine was ${r.engine.before}: nothing to halt`
    : r.engine.action === 'halted' ? `engine was ${r.engine.before}: halted` : `engine was ${r.engine.before}: its thread was ended (${r.engine.message ?? ''})`;
  const each = (kind: string, o: StopAll['devices'][number]): string => `${kind} ${o.name}: ${o.outcome}${o.message === undefined ? '' : ` (${o.message})`}`;
  return [engine, ...r.devices.map((d) => each('device', d)), ...r.emergency.map((e) => each('emergency', e))].join('\n');
}

function stopAllCommand(o: VerbOptions & { json?: boolean }): Promise<number> {
  return oneRequest(o, 'stop-all', async (client) => {
    const r = await client.stopAll();
    process.stdout.write(`${o.json === true ? JSON.stringify(r) : stopAllLines(r)}\n`);
    // Something did not stop: the operator must know from the exit status too.
    return [...r.devices, ...r.emergency].every((x) => x.outcome === 'stopped') ? 0 : 1;
  });
}

interface LockOptions extends UrlOptions { note?: string; force?: boolean; json?: boolean }

function lockCommand(what: 'status' | 'acquire' | 'release', o: LockOptions): Promise<number> {
  return oneRequest(o, `lock ${what}`, async (client) => {
    const r = what === 'status' ? await client.request('lock.status')
      : what === 'acquire' ? await client.request('lock.acquire', o.note === undefined ? {} : { note: o.note })
        : await client.request('lock.release', { force: o.force === true });
    const line = !r.locked ? 'unlocked'
      : `locked by ${r.holder ?? '?'} since ${new Date((r.since ?? 0) * 1000).toLocaleString('en-GB')}${r.note ? `: ${r.note}` : ''}`;
    process.stdout.write(`${o.json === true ? JSON.stringify(r) : line}\n`);
    return 0;
  });
}

/** Add status, pause, resume, stop, abort, halt, stop-all and lock to `program`. */
export function addControlCommands(program: Command): void {
  withUrlOptions(program.command('status').description('the engine\'s state and the plan in progress on a running server'))
    .option('--json', 'the status as JSON')
    .action(async (o: VerbOptions) => { process.exitCode = await controlCommand('status', o); });
  for (const verb of Object.keys(VERBS) as Verb[]) {
    const cmd = withUrlOptions(program.command(verb).description(VERBS[verb].help));
    if (verb === 'pause') cmd.option('--defer', 'pause at the next checkpoint instead of now');
    if (verb === 'abort') cmd.option('--reason <text>', 'why; it goes into the run\'s stop document');
    cmd.action(async (o: VerbOptions) => { process.exitCode = await controlCommand(verb, o); });
  }
  withUrlOptions(program.command('stop-all').description('emergency stop in any state: halt any run, stop() every device, run the emergency functions; exit 1 if anything did not stop'))
    .option('--json', 'the report as JSON')
    .action(async (o: VerbOptions) => { process.exitCode = await stopAllCommand(o); });
  const lock = program.command('lock').description('the control lock: while you hold it, others\' control and queue requests are refused (stop-all still works)');
  withUrlOptions(lock.command('status').description('who holds the lock')).option('--json', 'as JSON')
    .action(async (o: LockOptions) => { process.exitCode = await lockCommand('status', o); });
  withUrlOptions(lock.command('acquire').description('take the lock')).option('--note <text>', 'why, shown to the others').option('--json', 'as JSON')
    .action(async (o: LockOptions) => { process.exitCode = await lockCommand('acquire', o); });
  withUrlOptions(lock.command('release').description('give the lock up')).option('--force', 'break another caller\'s lock (admin)').option('--json', 'as JSON')
    .action(async (o: LockOptions) => { process.exitCode = await lockCommand('release', o); });
}
