/** The `runs.list` and `runs.get` ops: the run index and a run's documents, read from the store (committed data only). @module */
import { type ListRunsQuery, runSummaryJson } from '../../store/index.js';
import { V2Error, badField } from './errors.js';
import type { V2Hub } from './hub.js';
import type { Frame } from './ops.js';
import type { RunDocuments } from './types.js';
import type { RunSummaryJson } from '../../store/types.js';

const MAX_PAGE = 1000;

function store(hub: V2Hub): NonNullable<V2Hub['runs']> {
  if (hub.runs === null) throw new V2Error('no_store', 'this server keeps no run store (serve --data DIR)');
  return hub.runs;
}

function count(f: Frame, key: string, fallback: number, max: number): number {
  const v = f[key];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw badField(key, 'a non-negative integer', v);
  return Math.min(v, max);
}

/** `since`: seconds since the epoch or an ISO 8601 date. */
function sinceSeconds(v: unknown): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && !Number.isNaN(Date.parse(v))) return Date.parse(v) / 1000;
  throw badField('since', 'seconds since the epoch or an ISO 8601 date', v);
}

export function runsList(hub: V2Hub, f: Frame): { runs: RunSummaryJson[] } {
  const s = store(hub);
  const plan = f.plan;
  if (plan !== undefined && plan !== null && typeof plan !== 'string') throw badField('plan', 'a plan name (string)', plan);
  const since = sinceSeconds(f.since);
  const query: ListRunsQuery = {
    limit: count(f, 'limit', 100, MAX_PAGE), offset: count(f, 'offset', 0, Number.MAX_SAFE_INTEGER),
    ...(typeof plan === 'string' ? { plan } : {}), ...(since === undefined ? {} : { since }),
  };
  return { runs: s.listRuns(query).map(runSummaryJson) };
}

export function runsGet(hub: V2Hub, f: Frame): RunDocuments {
  const s = store(hub);
  const uid = f.uid;
  if (typeof uid !== 'string' || uid === '') throw badField('uid', 'a run uid (string)', uid);
  const run = s.getRun(uid);
  if (run === undefined) throw new V2Error('unknown_run', `no run with uid ${uid}`, [{ path: '/uid', message: 'unknown run', got: uid }]);
  const offset = count(f, 'offset', 0, Number.MAX_SAFE_INTEGER);
  const limit = count(f, 'limit', MAX_PAGE, MAX_PAGE);
  // One extra document tells whether another page follows.
  const docs = s.getDocuments(uid, { offset, limit: limit + 1 });
  const more = docs.length > limit;
  const documents = docs.slice(0, limit).map(([n, d]) => [n, d as unknown as Record<string, unknown>] as [string, Record<string, unknown>]);
  return { run: runSummaryJson(run), offset, documents, more };
}
