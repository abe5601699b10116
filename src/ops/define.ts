/**
 * What an operation is: a name, its parameter and result schemas (TypeBox, so
 * one declaration gives the TypeScript types, the validator and the OpenAPI
 * document), the scope a caller needs, the error codes it can answer with, and
 * its handler. Protocols are adapters: they turn a frame or a request into
 * `invoke(name, params, ctx)` and the outcome back into their wire format.
 * @module
 */
import type { Static, TSchema } from 'typebox';
import type { Dispatcher } from '../dispatcher/index.js';
import type { AuditLog } from '../audit/index.js';
import type { ControlLock } from '../lock/index.js';
import type { RunStore } from '../store/index.js';
import type { ErrorCode } from './errors.js';

/** What a caller may do: read state and runs; control the engine; edit the queue; administer. */
export const SCOPES = ['read', 'control', 'queue', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

/** Who is asking, as the protocol adapter established it. */
export interface Caller {
  /** For the audit log: a key's name, `v1 from ADDRESS`, or `anonymous`. */
  readonly name: string;
  readonly scopes: ReadonlySet<Scope>;
  readonly protocol: 'v1' | 'v2' | 'http' | 'library';
}

/** A caller with every scope (a server without authentication, the library API). */
export const ANONYMOUS: Caller = Object.freeze({ name: 'anonymous', scopes: new Set<Scope>(SCOPES), protocol: 'library' as const });

/** What a handler may use. */
export interface OpContext {
  readonly dispatcher: Dispatcher;
  /** The run store, or null on a server without one (`runs.*` answer `no_store`). */
  readonly runs: RunStore | null;
  /** The seq of the last event of the server's stream (status reports the point it describes). */
  latestSeq(): number;
  /**
   * The seq a view read just before includes, once the stream shows it (EventLog.settledSeq): what
   * `status` and `queue.get` report, so that a client applying events with a greater seq applies none
   * twice. Absent (v1, tests): `latestSeq()` is used.
   */
  settledSeq?(): Promise<number>;
  readonly caller: Caller;
  /** Where operations that change something are recorded; none: not recorded (a bare library use). */
  readonly audit?: AuditLog | null;
  /** The control lock; none: no lock (every caller may control). */
  readonly lock?: ControlLock | null;
}

/**
 * `read()` (a view: the queue, a status) with the seq of the newest event it includes, read in one step
 * so that no change comes between; the answer waits until that event is shown (a store numbers it at
 * once and shows it when its batch commits). `settledSeq()` where the protocol has one, else `latestSeq()`.
 */
export async function withViewSeq<T extends object>(ctx: OpContext, read: () => T): Promise<T & { seq: number }> {
  const view = read();
  const seq = ctx.settledSeq === undefined ? ctx.latestSeq() : ctx.settledSeq();
  return { ...view, seq: await seq };
}

/** The server-wide parts of an OpContext, built once and shared by every protocol's sessions. */
export type OpServices = Pick<OpContext, 'audit' | 'lock'>;

export interface OpDef<P extends TSchema = TSchema, R extends TSchema = TSchema, N extends string = string> {
  /** The wire name (`start`, `runs.list`): v2's `op`, OpenAPI's `operationId`. */
  readonly name: N;
  /** One line for the API documentation. */
  readonly summary: string;
  readonly params: P;
  readonly result: R;
  readonly scope: Scope;
  /** `change`: it changes something (audited; HTTP POST). `read`: it only reports (HTTP GET). */
  readonly effect: 'read' | 'change';
  /** The codes it can answer with beyond those every op can (`bad_request`, `internal`, ...). */
  readonly errors: readonly ErrorCode[];
  handler(params: Static<P>, ctx: OpContext): Static<R> | Promise<Static<R>>;
}

/** Declare an operation (a typed identity: the table holds the definitions). */
export function defineOp<P extends TSchema, R extends TSchema, const N extends string>(def: OpDef<P, R, N>): OpDef<P, R, N> {
  return Object.freeze(def);
}

/** The params and result types of each operation of `Defs`, by name (for clients). */
export type OpTypes<Defs extends readonly OpDef[]> = {
  [D in Defs[number] as D['name']]: D extends OpDef<infer P, infer R> ? { params: Static<P>; result: Static<R> } : never;
};
