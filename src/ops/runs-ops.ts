/** The stored runs: the run index and a run's documents, read from the store (committed data only). @module */
import { Type } from 'typebox';
import { type ListRunsQuery, type RunStore, runSummaryJson } from '../store/index.js';
import { OpError, badField } from './errors.js';
import { type OpContext, defineOp } from './define.js';
import { RowCount, RunSummary } from './schemas.js';

const MAX_PAGE = 1000;

function store(ctx: OpContext): RunStore {
  if (ctx.runs === null) throw new OpError('no_store');
  return ctx.runs;
}

/** `since`: seconds since the epoch or an ISO 8601 date. */
function sinceSeconds(v: number | string | undefined): number | undefined {
  if (v === undefined || typeof v === 'number') return v;
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw badField('since', 'seconds since the epoch or an ISO 8601 date', v);
  return t / 1000;
}

export const runsList = defineOp({
  name: 'runs.list', summary: 'The run index, newest first.',
  params: Type.Object({
    limit: Type.Optional(RowCount('at most this many (default 100, at most 1000)')),
    offset: Type.Optional(RowCount('skip this many (default 0)')),
    plan: Type.Optional(Type.String({ description: 'only runs of this plan' })),
    since: Type.Optional(Type.Union([Type.Number(), Type.String()], { description: 'only runs started at or after: seconds since the epoch or an ISO 8601 date' })),
    instance: Type.Optional(Type.String({ maxLength: 64, description: 'only runs of this server (--instance), in a store several servers share' })),
  }, { additionalProperties: false }),
  result: Type.Object({ runs: Type.Array(RunSummary) }),
  scope: 'read', effect: 'read', errors: ['no_store'],
  handler: async (p, ctx) => {
    const s = store(ctx);
    const since = sinceSeconds(p.since);
    const query: ListRunsQuery = {
      limit: Math.min(p.limit ?? 100, MAX_PAGE), offset: p.offset ?? 0,
      ...(p.plan === undefined ? {} : { plan: p.plan }), ...(since === undefined ? {} : { since }),
      ...(p.instance === undefined ? {} : { instance: p.instance }),
    };
    return { runs: (await s.listRuns(query)).map(runSummaryJson) };
  },
});

export const runsGet = defineOp({
  name: 'runs.get', summary: 'A run\'s summary and one page of its documents, [name, doc] in emission order.',
  params: Type.Object({
    uid: Type.String({ minLength: 1, description: 'the run\'s uid' }),
    offset: Type.Optional(RowCount('skip this many documents (default 0)')),
    limit: Type.Optional(RowCount('at most this many documents (default and most 1000)')),
  }, { additionalProperties: false }),
  result: Type.Object({
    run: RunSummary, offset: Type.Integer(),
    documents: Type.Array(Type.Tuple([Type.String(), Type.Record(Type.String(), Type.Unknown())])),
    more: Type.Boolean({ description: 'another page follows' }),
  }),
  scope: 'read', effect: 'read', errors: ['no_store', 'unknown_run'],
  handler: async (p, ctx) => {
    const s = store(ctx);
    const run = await s.getRun(p.uid);
    if (run === undefined) throw new OpError('unknown_run', { uid: p.uid }, [{ path: '/uid', message: 'unknown run', got: p.uid }]);
    const offset = p.offset ?? 0;
    const limit = Math.min(p.limit ?? MAX_PAGE, MAX_PAGE);
    // One extra document tells whether another page follows.
    const docs = await s.getDocuments(p.uid, { offset, limit: limit + 1 });
    const documents = docs.slice(0, limit).map(([n, d]) => [n, d as unknown as Record<string, unknown>] as [string, Record<string, unknown>]);
    return { run: runSummaryJson(run), offset, documents, more: docs.length > limit };
  },
});
