/**
 * Generic plan transformers (bluesky.preprocessors `plan_mutator`,
 * `msg_mutator`, `pchain`) and the `attempt` helper the wrappers use to run a
 * sub-plan without swallowing GeneratorExit/PlanHalt. No device knowledge.
 * @module
 */
import { isControlException, isGeneratorExit } from '../model/errors.js';
import { type Msg, type Plan, type PlanLike, ensurePlan } from '../model/msg.js';
import { isNullish } from './utils.js';

/** What a sub-plan did: returned a value or raised an ordinary error. */
export type Outcome<R> = { readonly ok: true; readonly value: R } | { readonly ok: false; readonly error: unknown };

/**
 * Run `plan` (forwarding replies and thrown errors, like `yield from`) and
 * report how it ended. GeneratorExit/PlanHalt are rethrown untouched, and if
 * the caller is closed with `.return()` nothing after this runs: wrappers built
 * on it therefore skip their cleanup plans exactly when Python's would.
 */
export function* attempt<R>(plan: Plan<R>): Plan<Outcome<R>> {
  try {
    return { ok: true, value: yield* plan };
  } catch (e) {
    if (isGeneratorExit(e)) throw e;
    return { ok: false, error: e };
  }
}

/** A plan yielding just `m` and returning its reply (bluesky `single_gen`). */
export function* singleGen(m: Msg): Plan<unknown> {
  return yield m;
}

/** Close generators without letting a misbehaving one stop the others. */
function closeAll(plans: readonly Plan[]): void {
  for (const p of plans) {
    try { p.return(undefined); } catch { /* bluesky closes and moves on */ }
  }
}

/** `msgProc` result: `[head, tail]` plans to insert before/after (null = none). */
export type MsgProcResult = readonly [head: PlanLike | null | undefined, tail: PlanLike | null | undefined];
export type MsgProc = (m: Msg) => MsgProcResult;

interface MutatorState {
  readonly stack: Plan[];
  readonly results: unknown[];
  readonly tails: Map<Plan, Plan | null>;
  readonly tailResults: Map<Plan, unknown>;
  readonly seenObjects: WeakSet<object>;
  readonly seenValues: Set<unknown>;
  readonly parent: Plan;
  retValue: unknown;
  lastSent: unknown;
  exception: { readonly error: unknown } | null;
}

type Advance = { readonly kind: 'msg'; readonly msg: Msg } | { readonly kind: 'again' } | { readonly kind: 'done' };

/** A generator ended: hand its paired tail the stage, and keep the head's last reply for the parent. */
function onExhausted(st: MutatorState, value: unknown): Advance {
  const exhausted = st.stack.pop() as Plan;
  if (exhausted === st.parent) st.retValue = value;
  if (st.tailResults.has(exhausted)) {
    st.lastSent = st.tailResults.get(exhausted);
    st.tailResults.delete(exhausted);
  }
  st.results.push(st.lastSent);
  if (st.tails.has(exhausted)) {
    const tail = st.tails.get(exhausted) ?? null;
    st.tails.delete(exhausted);
    if (tail !== null) {
      st.stack.push(tail);
      st.tailResults.set(tail, st.results.pop());
      st.results.push(undefined);
    }
  }
  return st.stack.length > 0 ? { kind: 'again' } : { kind: 'done' };
}

/** One step of the top generator (bluesky plan_mutator's send/throw branches). */
function advance(st: MutatorState): Advance {
  const top = st.stack[st.stack.length - 1] as Plan;
  const throwing = st.exception;
  let r: IteratorResult<Msg, unknown>;
  try {
    if (throwing !== null) {
      r = top.throw(throwing.error);
    } else {
      st.lastSent = st.results.pop();
      r = top.next(st.lastSent);
    }
  } catch (e) {
    if (isGeneratorExit(e)) { closeAll(st.stack); throw e; }
    const failed = st.stack.pop() as Plan;
    if (throwing === null && st.tails.has(failed)) {
      const tail = st.tails.get(failed) ?? null;
      st.tails.delete(failed);
      if (tail !== null) st.stack.push(tail);
    }
    if (st.stack.length === 0) throw e;
    st.exception = { error: e };
    return { kind: 'again' };
  }
  // bluesky quirk kept: a plan that returns after a throw leaves the exception stashed for its parent.
  if (r.done === true) return onExhausted(st, r.value);
  if (throwing !== null) st.exception = null;
  return { kind: 'msg', msg: r.value };
}

function firstSighting(st: MutatorState, m: Msg): boolean {
  if (typeof m === 'object' && m !== null) {
    if (st.seenObjects.has(m)) return false;
    st.seenObjects.add(m);
    return true;
  }
  if (st.seenValues.has(m)) return false;
  st.seenValues.add(m);
  return true;
}

/** Ask `msgProc` about a first-seen message; true if a head plan was pushed in its place. */
function insertHead(st: MutatorState, m: Msg, msgProc: MsgProc): boolean {
  if (!firstSighting(st, m)) return false;
  const [head, tail] = msgProc(m);
  const headPlan = isNullish(head) ? (isNullish(tail) ? null : singleGen(m)) : ensurePlan(head);
  if (headPlan === null) return false;
  st.stack.push(headPlan);
  st.results.push(undefined);
  st.tails.set(headPlan, isNullish(tail) ? null : ensurePlan(tail));
  return true;
}

/**
 * Insert or replace messages on the fly. `msgProc(msg)` returns `[head, tail]`:
 * `head` runs instead of the message (the reply to its last message goes back
 * to the plan), `tail` runs after it. Each Msg *object* is processed once.
 * @example planMutator(plan, (m) => m.command === 'open_run' ? [null, extraPlan()] : [null, null])
 */
export function* planMutator<R = unknown>(plan: PlanLike, msgProc: MsgProc): Plan<R> {
  const parent = ensurePlan(plan);
  const st: MutatorState = {
    stack: [parent], results: [undefined], tails: new Map(), tailResults: new Map(),
    seenObjects: new WeakSet(), seenValues: new Set(), parent, retValue: undefined, lastSent: undefined, exception: null,
  };
  for (;;) {
    const step = advance(st);
    if (step.kind === 'done') return st.retValue as R;
    if (step.kind === 'again' || insertHead(st, step.msg, msgProc)) continue;
    let closing = true;
    try {
      st.results.push(yield step.msg);
      closing = false;
    } catch (e) {
      closing = false;
      if (isGeneratorExit(e)) { closeAll(st.stack); throw e; }
      st.exception = { error: e };
    } finally {
      // Closed with .return(): close every plan we hold, yield nothing more.
      if (closing) closeAll(st.stack);
    }
  }
}

/**
 * Replace (or, by returning null, drop) single messages: `msgProc(msg) → msg | null`.
 * A dropped message gets `undefined` as its reply.
 */
export function* msgMutator<R = unknown>(plan: PlanLike, msgProc: (m: Msg) => Msg | null | undefined): Plan<R> {
  const gen = ensurePlan(plan);
  let r = gen.next();
  while (r.done !== true) {
    let reply: unknown;
    let closing = true;
    try {
      const m = msgProc(r.value);
      reply = isNullish(m) ? undefined : yield m;
      closing = false;
    } catch (e) {
      closing = false;
      if (isGeneratorExit(e)) { gen.return(undefined); throw e; }
      r = gen.throw(e);
      continue;
    } finally {
      if (closing) gen.return(undefined);
    }
    r = gen.next(reply);
  }
  return r.value as R;
}

/**
 * Run plans one after another with `yield*`, returning their results; a
 * RequestStop/RequestAbort closes all of them (bluesky `pchain`).
 */
export function* pchain(...plans: PlanLike[]): Plan<unknown[]> {
  const gens = plans.map((p) => ensurePlan(p));
  const rets: unknown[] = [];
  try {
    for (const g of gens) rets.push(yield* g);
  } catch (e) {
    if (isControlException(e)) closeAll(gens);
    throw e;
  }
  return rets;
}
