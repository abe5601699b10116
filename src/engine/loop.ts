/**
 * The message loop (bluesky RunEngine._run, spec §4.2): step the plan stack,
 * run the pause protocol, route exceptions between nested plans, cache for
 * replay, dispatch to the handler, map cancellations to RequestStop /
 * RequestAbort / PlanHalt by state; then the cleanup of §4.4.
 * @module
 */
import {
  FailedPause, GeneratorExit, InvalidCommand, PlanHalt, RequestAbort, RequestStop, RunEngineError,
} from '../model/errors.js';
import { type Msg, type Plan, ensurePlan, msg as makeMsg } from '../model/msg.js';
import { CANCEL, type EngineCore, Thrown } from './core.js';
import { Deferred, isPromiseLike } from './deferred.js';
import type { CommandRegistry } from './registry.js';

const SENTINEL: unique symbol = Symbol('sentinel');
/** Yield to other macrotasks at least this often (messages); see docs/engine.md "yield points". */
const YIELD_EVERY = 64;

/** A sentinel for "the plan did not return normally" (bluesky NO_PLAN_RETURN). */
export const NO_PLAN_RETURN: unique symbol = Symbol('NO_PLAN_RETURN');

export interface LoopHooks {
  registry: CommandRegistry;
  onMsg(m: Msg): void;
  backstopCollect(): Promise<void>;
}

/** Run the task to its end; returns the plan's return value or throws the plan's error. */
export async function runLoop(c: EngineCore, hooks: LoopHooks): Promise<unknown> {
  let stashed: unknown = null;
  let planReturn: unknown = NO_PLAN_RETURN;
  let exitReason = '';
  let failure: unknown = SENTINEL;
  let sinceYield = 0;
  try {
    c.state.set('running');
    loop: for (;;) {
      applyPendingSuspends(c);
      let st = c.state.value;
      if ((st === 'pausing' || st === 'suspending') && !c.resumable) {
        c.permit?.resolve();
        c.permit = null;
        stashed = new FailedPause();
        c.state.set('aborting');
        continue;
      }
      if (st === 'suspending') c.state.set('running');
      if (c.permit !== null) await pauseBlock(c);
      let resp: unknown = SENTINEL;
      let newResp: unknown = null;
      try {
        if (stashed === null) {
          c.checkCancel();
          if (++sinceYield >= YIELD_EVERY) {
            sinceYield = 0;
            await c.clock.yieldToLoop();
            c.checkCancel();
          }
        }
        resp = c.responses.pop();
        if (c.inbox !== null) { stashed = c.inbox; c.inbox = null; }
        const top = c.plans[c.plans.length - 1] as Plan;
        let step: IteratorResult<Msg, unknown>;
        try {
          if (stashed !== null || resp instanceof Thrown) {
            step = top.throw(stashed ?? (resp as Thrown).error);
            stashed = null;
          } else {
            step = top.next(resp);
          }
        } catch (e) {
          // bluesky only hands `Exception`s down the stack; GeneratorExit/PlanHalt are
          // BaseExceptions that leave the loop at once (the plans below are closed in cleanup).
          if (e instanceof GeneratorExit) throw e;
          c.plans.pop();
          resp = SENTINEL;
          if (c.plans.length > 0) { stashed = e; continue; }
          throw e;
        }
        if (step.done === true) {
          c.plans.pop();
          resp = SENTINEL;
          if (c.plans.length > 0) continue;
          planReturn = step.value;
          break loop;
        }
        const m = step.value;
        hooks.onMsg(m);
        c.objsSeen.add(m.obj);
        c.cacheMsg(m);
        const handler = hooks.registry.get(m.command);
        if (handler === undefined) { newResp = new Thrown(new InvalidCommand(m.command)); continue; }
        try {
          const r = handler(m);
          newResp = isPromiseLike(r) ? await c.awaitCommand(r) : r;
        } catch (e) {
          if (e === CANCEL) throw e;
          newResp = new Thrown(e);
        }
      } catch (e) {
        if (e !== CANCEL) throw e;
        st = c.state.value;
        if (st === 'pausing') { c.permit ??= new Deferred<void>(); continue; }
        if (st === 'halting' || st === 'stopping' || st === 'aborting') {
          stashed ??= st === 'halting' ? new PlanHalt() : st === 'stopping' ? new RequestStop() : new RequestAbort(c.reason);
          continue;
        }
        if (st === 'suspending') continue;
        // bluesky's "external cancellation" path: only reachable if a verb cancelled and the state
        // was changed back before the loop saw it; treat it as an abort, as bluesky does.
        stashed ??= new RequestAbort('cancelled');
      } finally {
        if (resp !== SENTINEL) c.responses.push(newResp);
      }
    }
    c.exitStatus = 'success';
  } catch (e) {
    if (e instanceof RequestStop) c.exitStatus = 'success';
    else if (e instanceof FailedPause || e instanceof RequestAbort || e instanceof PlanHalt) c.exitStatus = 'abort';
    else if (e instanceof GeneratorExit) {
      c.exitStatus = 'fail';
      exitReason = e.message;
      failure = new RunEngineError('ENGINE_PLAN_CLOSED', `the plan raised GeneratorExit: ${e.message}`);
      (failure as Error).cause = e;
    } else {
      c.exitStatus = 'fail';
      exitReason = e instanceof Error ? e.message : String(e);
      failure = e;
    }
  } finally {
    await cleanup(c, hooks, exitReason);
  }
  if (failure !== SENTINEL) throw failure;
  return planReturn;
}

/** §7.2: rest everything, report 'paused' to the caller, wait for the permit. */
async function pauseBlock(c: EngineCore): Promise<void> {
  const permit = c.permit;
  for (const b of c.bundlers.values()) b.suspendMonitors();
  await c.stopMovables();
  await c.pauseDevices();
  const afterRest: string = c.state.value; // widened: the state may change across the awaits above
  if (afterRest !== 'pausing') {
    // abort()/halt() arrived while devices were being put to rest: bluesky's task.cancel()
    // lands in this block and ends the run; here the pending cancellation is taken at the
    // next yield point and mapped to RequestAbort/PlanHalt, as for an abort while running.
    c.permit = null;
    for (const b of c.bundlers.values()) b.restoreMonitors();
    return;
  }
  c.state.set('paused');
  c.settle({ kind: 'paused' });
  await permit?.promise;
  c.permit = null;
  for (const b of c.bundlers.values()) b.restoreMonitors();
  if (c.state.value === 'paused') c.state.set('running');
}

/** Push the `_start_suspender` plans requested since the last iteration (bluesky _request_suspend). */
function applyPendingSuspends(c: EngineCore): void {
  while (c.pendingSuspends.length > 0) {
    const s = c.pendingSuspends.shift();
    if (s === undefined) break;
    c.plans.push(ensurePlan(makeMsg('_start_suspender', null, [s.prePlan, s.postPlan, s.justification, s.wait])));
    c.responses.push(null);
  }
}

/** §4.4: what the engine itself always does when the task ends. */
async function cleanup(c: EngineCore, hooks: LoopHooks, reason: string): Promise<void> {
  const exitReason = reason || c.reason;
  c.groups.pardon();
  await c.stopMovables();
  for (const b of c.bundlers.values()) {
    for (const e of b.clearMonitors()) c.notify.warn('Failed to stop monitoring.', e);
  }
  try { await hooks.backstopCollect(); } catch (e) { c.notify.warn('Failed to collect a flyer.', e); }
  for (const obj of [...c.staged]) {
    try { (obj as { unstage(): unknown }).unstage(); } catch (e) { c.notify.warn('Failed to unstage.', e); }
    c.staged.delete(obj);
  }
  for (const b of c.bundlers.values()) {
    if (!b.isOpen) continue;
    try { b.closeRun(c.exitStatus, exitReason); } catch (e) { c.notify.warn('Failed to close run.', e); }
  }
  c.bundlers.clear();
  for (const p of c.plans) {
    try {
      const r = p.return(undefined);
      if (r.done !== true) c.notify.notice(`The plan ${describePlan(p)} tried to yield a value on close.  Please fix your plan.`);
    } catch (e) {
      c.notify.warn('A plan raised while being closed.', e);
    }
  }
  c.plans.length = 0;
  c.responses.length = 0;
  c.state.set('idle');
}

function describePlan(p: Plan): string {
  return `<generator object ${(p as { planName?: string }).planName ?? 'plan'}>`;
}
