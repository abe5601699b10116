/**
 * Who may control the beamline and who did what: the control lock and the audit log.
 * @module
 */
import { Type } from 'typebox';
import type { ControlLock } from '../lock/index.js';
import { type OpContext, defineOp } from './define.js';
import { OpError, lockedError } from './errors.js';
import { Nullable, RowCount } from './schemas.js';

const LockStatus = Type.Object({
  locked: Type.Boolean(),
  holder: Nullable(Type.String({ description: 'who holds it: a key\'s name, `v1 from ADDRESS`, or `anonymous`' })),
  note: Nullable(Type.String()),
  since: Nullable(Type.Number({ description: 'seconds since the epoch' })),
}, { $id: 'LockStatus' });

function lockOf(ctx: OpContext): ControlLock {
  if (ctx.lock === undefined || ctx.lock === null) throw new OpError('unavailable', { problem: 'this server has no control lock' });
  return ctx.lock;
}

function statusOf(lock: ControlLock): { locked: boolean; holder: string | null; note: string | null; since: number | null } {
  const s = lock.state;
  return s === null ? { locked: false, holder: null, note: null, since: null } : { locked: true, holder: s.holder, note: s.note, since: s.since };
}

export const lockStatus = defineOp({
  name: 'lock.status', summary: 'Who holds the control lock, if anyone, why and since when.',
  params: Type.Object({}, { additionalProperties: false }), result: LockStatus, scope: 'read', effect: 'read', errors: [],
  handler: (_p, ctx) => statusOf(lockOf(ctx)),
});

export const lockAcquire = defineOp({
  name: 'lock.acquire', summary: 'Take the control lock: until released, other callers\' control and queue operations are refused with `locked` (stop_all still works).',
  params: Type.Object({ note: Type.Optional(Type.String({ maxLength: 500, description: 'why, for the others (shown in their `locked` errors)' })) }, { additionalProperties: false }),
  result: LockStatus, scope: 'control', effect: 'change', errors: ['locked'],
  handler: async (p, ctx) => {
    const lock = lockOf(ctx);
    const outcome = await lock.acquire(ctx.caller.name, p.note ?? '');
    if (!outcome.ok) throw lockedError(outcome.heldBy);
    return statusOf(lock);
  },
});

export const lockRelease = defineOp({
  name: 'lock.release', summary: 'Give the control lock up; `force` (admin scope) breaks another caller\'s lock.',
  params: Type.Object({ force: Type.Optional(Type.Boolean({ default: false, description: 'break another caller\'s lock (needs the admin scope)' })) }, { additionalProperties: false }),
  result: LockStatus, scope: 'control', effect: 'change', errors: ['locked', 'forbidden'],
  handler: async (p, ctx) => {
    const lock = lockOf(ctx);
    const force = p.force ?? false;
    const held = lock.heldAgainst(ctx.caller.name);
    if (held !== null && force && !ctx.caller.scopes.has('admin')) {
      throw new OpError('forbidden', { op: 'lock.release with force', scope: 'admin' }, [{ path: '/force', message: 'needs the admin scope', expected: 'admin', got: [...ctx.caller.scopes].join(',') }]);
    }
    const outcome = await lock.release(ctx.caller.name, force);
    if (!outcome.ok) throw lockedError(outcome.heldBy);
    return statusOf(lock);
  },
});

const AuditEntry = Type.Object({
  id: Type.Integer(), time: Type.Number({ description: 'seconds since the epoch' }),
  who: Type.String(), protocol: Type.String(), op: Type.String(),
  params: Type.String({ description: 'the parameters as compact JSON, secrets redacted, cut at 300 characters' }),
  outcome: Type.String({ description: '`ok`, or the error code' }), message: Nullable(Type.String()),
  instance: Type.Optional(Type.String({ description: 'with a shared PostgreSQL store: the server that recorded it (`*`: a facility-wide change, such as a key made from the command line)' })),
}, { $id: 'AuditEntry' });

export const auditList = defineOp({
  name: 'audit.list', summary: 'The audit log, newest first: every operation that changed something (or tried to), who asked, and how it went.',
  params: Type.Object({
    limit: Type.Optional(RowCount('at most this many (default 100, at most 1000)')),
    offset: Type.Optional(RowCount('skip this many (default 0)')),
    op: Type.Optional(Type.String({ description: 'only this operation (HTTP; over v2 a frame\'s own `op` names the request: use `operation`)' })),
    operation: Type.Optional(Type.String({ description: 'only this operation: the same filter as `op`, under a name a v2 frame can carry' })),
    who: Type.Optional(Type.String({ description: 'only this caller' })),
    since: Type.Optional(Type.Number({ description: 'only entries at or after: seconds since the epoch' })),
    instance: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'with a shared PostgreSQL store: this server\'s name to see its entries instead (default this server\'s; `*`: every server\'s); facility-wide entries are always included' })),
  }, { additionalProperties: false }),
  result: Type.Object({ entries: Type.Array(AuditEntry) }), scope: 'admin', effect: 'read', errors: ['unavailable'],
  handler: async (p, ctx) => {
    if (ctx.audit === undefined || ctx.audit === null) throw new OpError('unavailable', { problem: 'this server keeps no audit log' });
    const { operation, ...rest } = p;
    if (operation !== undefined && rest.op !== undefined && operation !== rest.op) {
      throw new OpError('bad_request', { problem: `op "${rest.op}" and operation "${operation}" disagree: give one` }, [{ path: '/operation', message: 'disagrees with op', expected: 'one filter, or both the same', got: operation }]);
    }
    return { entries: await ctx.audit.list({ ...rest, ...(operation === undefined ? {} : { op: operation }), limit: Math.min(p.limit ?? 100, 1000) }) };
  },
});
