/**
 * `bluesky-dispatcher runs list|show|export|import`: read the run store back.
 * Any failure prints one line and sets exit code 2.
 * @module
 */
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import type { Command } from 'commander';
import { type BaseStore, DEFAULT_DATA_DIR, SqliteStore, openPostgresStore, runSummaryJson, type RunSummary } from '../store/index.js';
import { checkInstance, defaultInstance } from '../bus/index.js';
import { describeSystemError } from './errors.js';
import { isoTime, shortUid, textTable } from './format.js';
import { writeOut } from './output.js';

export interface RunsIo {
  out: (text: string) => void;
  err: (text: string) => void;
}

const stdio: RunsIo = {
  out: (text) => { writeOut(text); },
  err: (text) => { process.stderr.write(text); },
};

/** A bad argument or a store failure: reported as one line, exit code 2. */
class RunsError extends Error {}

function positiveInt(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new RunsError(`${flag} expects a positive integer, got '${value}'`);
  return n;
}

function isoSeconds(value: string): number {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new RunsError(`--since expects an ISO date such as 2026-01-31 or 2026-01-31T14:00:00Z, got '${value}'`);
  return ms / 1000;
}


function eventsText(r: RunSummary): string {
  if (r.numEvents === null) return 'open';
  return Object.entries(r.numEvents).map(([k, v]) => `${k}:${v}`).join(',') || '0';
}

/** A stop reason on one line, cut to `width` characters. */
function reasonText(r: RunSummary, width = 48): string {
  const text = (r.reason ?? '').replace(/\s+/g, ' ').trim();
  return text.length > width ? `${text.slice(0, width - 1)}…` : text;
}

function table(runs: readonly RunSummary[]): string {
  const rows = runs.map((r) => [shortUid(r.uid), String(r.scanId ?? '-'), r.planName ?? '-', isoTime(r.startTime),
    r.interrupted ? 'interrupted' : r.exitStatus ?? 'open', eventsText(r), reasonText(r)]);
  return textTable(['uid', 'scan_id', 'plan', 'start', 'exit', 'events', 'reason'], rows);
}

/** Open the store (SQLite in `--data`, or PostgreSQL with `--store`), run `fn`, always close. */
async function withStore<T>(opts: StoreOpts, readonly: boolean, fn: (store: BaseStore) => Promise<T>): Promise<T> {
  const store = opts.store === undefined ? SqliteStore.open(opts.data, { readonly })
    : await openPostgresStore(opts.store, { instance: checkInstance(opts.instance ?? defaultInstance()) });
  try { return await fn(store); } finally { await store.close(); }
}

function action<A extends unknown[]>(io: RunsIo, fn: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args) => {
    try { await fn(...args); } catch (e) {
      io.err(`error: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exitCode = 2;
    }
  };
}

/** The run whose uid is `uid`, or the one run whose uid starts with it (the short uid printed everywhere). */
async function requireRun(store: BaseStore, uid: string): Promise<RunSummary> {
  const exact = await store.getRun(uid);
  if (exact !== undefined) return exact;
  const found = uid === '' ? [] : await store.listRuns({ uidPrefix: uid, limit: 6 });
  if (found.length === 1 && found[0] !== undefined) return found[0];
  if (found.length === 0) throw new RunsError(`no run with uid '${uid}' (or starting with it) in ${store.location}`);
  const shown = found.slice(0, 5).map((r) => r.uid).join(', ');
  throw new RunsError(`'${uid}' is the start of more than one run's uid (${shown}${found.length > 5 ? ', …' : ''}); give more of it`);
}

/** `--data DIR` (SQLite) or `--store URL` (PostgreSQL, with `--instance`). */
interface StoreOpts { data: string; store?: string; instance?: string }
interface ListOpts extends StoreOpts { json?: boolean; limit?: string; plan?: string; since?: string }
interface DataOpts extends StoreOpts { json?: boolean; out?: string }

/** Add `runs` and its four subcommands to `program`. */
export function addRunsCommand(program: Command, io: RunsIo = stdio): Command {
  const runs = program.command('runs').description('list, show, export and import the runs recorded in a data directory');
  const dataHelp = `data directory (default ${DEFAULT_DATA_DIR})`;
  const storeHelp = 'a PostgreSQL store (postgres://USER@HOST:PORT/DB) instead of --data';

  runs.command('list').description('recorded runs, newest first')
    .option('--data <dir>', dataHelp, DEFAULT_DATA_DIR).option('--json', 'one JSON array instead of a table')
    .option('--limit <n>', 'at most N runs (default 100)').option('--plan <name>', 'only runs of this plan')
    .option('--since <iso>', 'only runs started at or after this date')
    .option('--store <url>', storeHelp).option('--instance <name>', 'only runs of this server (with --store)')
    .action(action(io, async (opts: ListOpts) => {
      const query = {
        limit: opts.limit === undefined ? 100 : positiveInt(opts.limit, '--limit'),
        ...(opts.instance === undefined ? {} : { instance: opts.instance }),
        ...(opts.plan === undefined ? {} : { plan: opts.plan }),
        ...(opts.since === undefined ? {} : { since: isoSeconds(opts.since) }),
      };
      const list = await withStore(opts, true, (s) => s.listRuns(query));
      io.out(opts.json === true ? `${JSON.stringify(list.map(runSummaryJson))}\n` : table(list));
    }));

  runs.command('show <uid>').description("one run's index entry and its document counts (UID: the whole uid or a unique start of it)")
    .option('--data <dir>', dataHelp, DEFAULT_DATA_DIR).option('--json', 'JSON instead of text').option('--store <url>', storeHelp)
    .action(action(io, async (uid: string, opts: DataOpts) => {
      const { run, counts } = await withStore(opts, true, async (s) => {
        const counts: Record<string, number> = {};
        const run = await requireRun(s, uid);
        for (const [name] of await s.getDocuments(run.uid)) counts[name] = (counts[name] ?? 0) + 1;
        return { run, counts };
      });
      if (opts.json === true) { io.out(`${JSON.stringify({ ...runSummaryJson(run), documents: counts })}\n`); return; }
      const fields: Array<[string, string]> = [
        ['uid', run.uid], ['scan_id', String(run.scanId ?? '-')], ['plan', run.planName ?? '-'], ['item', run.itemId ?? '-'],
        ['params', JSON.stringify(run.params)], ['start', isoTime(run.startTime)], ['stop', isoTime(run.stopTime)],
        ['exit_status', run.exitStatus ?? 'open'], ['reason', run.reason ?? ''], ['events', eventsText(run)],
        ['interrupted', String(run.interrupted)], ['imported', String(run.imported)],
        ['documents', Object.entries(counts).map(([k, v]) => `${k}:${v}`).join(',')],
      ];
      io.out(fields.map(([k, v]) => `${k.padEnd(13)}${v}`).join('\n') + '\n');
    }));

  runs.command('export <uid>').description('write a run as suitcase-jsonl ([name, doc] per line), readable by databroker (UID: the whole uid or a unique start of it)')
    .option('--data <dir>', dataHelp, DEFAULT_DATA_DIR).option('--out <file>', 'write to FILE instead of stdout').option('--store <url>', storeHelp)
    .action(action(io, async (uid: string, opts: DataOpts) => {
      await withStore(opts, true, async (s) => {
        const run = await requireRun(s, uid);
        // Page by page: a run of any size exports in bounded memory.
        let fd: number | null = null;
        if (opts.out !== undefined) {
          try { fd = openSync(opts.out, 'w'); } catch (e) { throw new RunsError(describeSystemError(e, `cannot write --out ${opts.out}`) ?? String(e)); }
        }
        try {
          for await (const chunk of s.exportRun(run.uid)) {
            if (fd === null) { io.out(chunk); continue; }
            try { writeSync(fd, chunk); } catch (e) { throw new RunsError(describeSystemError(e, `cannot write --out ${opts.out ?? ''}`) ?? String(e)); }
          }
        } finally { if (fd !== null) closeSync(fd); }
      });
    }));

  runs.command('import <file>').description('store the runs of a suitcase-jsonl file (validated; refuses run uids already stored)')
    .option('--data <dir>', dataHelp, DEFAULT_DATA_DIR).option('--store <url>', storeHelp)
    .option('--instance <name>', 'with --store: the server the imported runs belong to (default the host name)')
    .action(action(io, async (file: string, opts: DataOpts) => {
      let text: string;
      try { text = readFileSync(file, 'utf8'); } catch (e) {
        throw new RunsError(`cannot read ${file}: ${e instanceof Error ? e.message : String(e)}`);
      }
      const result = await withStore(opts, false, (s) => s.importJsonl(text.split('\n')));
      io.out(`imported ${result.runs.length} run(s), ${result.documents} documents: ${result.runs.join(', ')}\n`);
    }));
  return runs;
}
