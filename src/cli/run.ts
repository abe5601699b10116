/**
 * `bluesky-dispatcher run PLAN --params JSON [--jsonl FILE] [--msgs FILE]`:
 * run a standard plan in-process on the simulated devices. Bad input or a file
 * that cannot be written: one line naming the problem, exit code 2. A failing
 * plan: exit code 1. A reader of stdout that goes away aborts the run quietly.
 * @module
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { RunEngine } from '../engine/index.js';
import { hw } from '../devices/index.js';
import { STANDARD_PLANS, getPlanDescriptor, validatePlanParams } from '../plans/index.js';
import { didYouMean } from '../plans/param-validation.js';
import { SqliteStore, attachStore } from '../store/index.js';
import { UsageError, describeSystemError } from './errors.js';
import { LiveTable } from './live-table.js';
import { onStdoutClosed, stdoutClosed, writeOut } from './output.js';
import { documentLine, msgRecord } from './records.js';

export { UsageError };

export interface RunOptions {
  params?: string;
  jsonl?: string;
  msgs?: string;
  /** Record the run in this data directory. */
  data?: string;
}

export async function runCommand(planName: string, opts: RunOptions, out: (line: string) => void = (l) => writeOut(`${l}\n`)): Promise<number> {
  const descriptor = getPlanDescriptor(planName);
  if (descriptor === undefined) {
    throw new UsageError(`unknown plan '${planName}'${didYouMean(planName, STANDARD_PLANS.map((p) => p.name))}; expected one of: ${STANDARD_PLANS.map((p) => p.name).join(', ')}`);
  }
  let params: unknown;
  try {
    params = JSON.parse(opts.params ?? '{}');
  } catch (e) {
    throw new UsageError(`--params is not valid JSON (${e instanceof Error ? e.message : String(e)}); expected an object such as '{"detectors":["det"],"num":3}'`);
  }
  const devices = hw();
  const errors = validatePlanParams(planName, params, devices.devices);
  if (errors.length > 0) {
    throw new UsageError(`invalid parameters for '${planName}': ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`);
  }
  const plan = descriptor.build(params as Record<string, unknown>, devices.devices);
  const re = new RunEngine();
  // Opened before anything runs: an unusable data directory is a clear error, never a silent skip.
  let store: SqliteStore | null = null;
  if (opts.data !== undefined) {
    try { store = SqliteStore.open(opts.data); } catch (e) { throw new UsageError(e instanceof Error ? e.message : String(e)); }
    attachStore(re, store, { meta: () => ({ planName, params: params as Record<string, unknown> }) });
    // A failed commit ends the run (recorded nowhere else); close() below reports it.
    store.onError((e) => { re.abort(`run storage failed: ${e.message}`).catch(() => undefined); });
  }
  const files: number[] = [];
  const sink = (flag: string, path: string | undefined): ((line: string) => void) | null => {
    if (path === undefined) return null;
    if (path === '-') return (line) => { writeOut(`${line}\n`); };
    let fd: number;
    try { fd = openSync(path, 'w'); } catch (e) {
      for (const f of files) closeSync(f);
      void store?.close().catch(() => undefined);
      throw new UsageError(describeSystemError(e, `cannot write ${flag} ${path}`) ?? String(e));
    }
    files.push(fd);
    return (line) => { writeSync(fd, `${line}\n`); };
  };
  const jsonl = sink('--jsonl', opts.jsonl);
  const msgs = sink('--msgs', opts.msgs);
  if (jsonl !== null) re.subscribe((name, doc) => jsonl(documentLine(name, doc)));
  else re.subscribe(new LiveTable(out).callback);
  if (msgs !== null) re.on('msg', (m) => msgs(JSON.stringify(msgRecord(m))));
  re.on('warning', (text) => process.stderr.write(`warning: ${text}\n`));
  // Nobody reads the output any more (`run … | head`): end the run, recorded as aborted with this reason.
  const offClosed = onStdoutClosed(() => { re.abort('stdout closed').catch(() => undefined); });
  try {
    await re.run(plan);
    return 0;
  } catch (e) {
    if (stdoutClosed()) return 0;
    process.stderr.write(`error: the plan '${planName}' failed: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}\n`);
    return 1;
  } finally {
    offClosed();
    for (const fd of files) closeSync(fd);
    await store?.close().catch((e: unknown) => { process.stderr.write(`error: ${e instanceof Error ? e.message : String(e)}\n`); });
  }
}
