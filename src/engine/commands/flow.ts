/**
 * Flow-control and engine-control commands: wait, wait_for, sleep, null,
 * RE_class, input, checkpoint, clear_checkpoint, rewindable, pause, subscribe,
 * unsubscribe, install/remove_suspender and the internal suspender commands
 * (bluesky spec §5.5, §5.6, §9).
 * @module
 */
import { IllegalMessageSequence, RunEngineError, WaitForTimeoutError } from '../../model/errors.js';
import { type Msg, type Plan, type PlanLike, ensurePlan, msg as makeMsg } from '../../model/msg.js';
import type { DocumentCallback } from '../../model/documents.js';
import type { CommandHandler } from '../registry.js';
import type { SubscriptionName } from '../subscriptions.js';
import type { CommandContext, Suspender } from './context.js';

export function flowCommands(ctx: CommandContext): Record<string, CommandHandler> {
  const { core } = ctx;
  return {
    null: () => null,
    RE_class: () => ctx.engineClass,
    sleep: (m) => core.clock.sleep(Number(m.args[0]), core.signal).then(() => null),
    input: (m) => ctx.input(String(m.kwargs.prompt ?? m.args[0] ?? '')),

    wait: (m) => {
      if (!Object.hasOwn(m.kwargs, 'group') && m.args.length === 0) {
        throw new RunEngineError('ENGINE_BAD_MESSAGE', "'group': wait needs a group, as Msg('wait', null, [], {group}) or Msg('wait', null, [group])");
      }
      const group = Object.hasOwn(m.kwargs, 'group') ? m.kwargs.group : m.args[0];
      const timeout = m.kwargs.timeout;
      return core.groups.wait(group ?? null, {
        timeout: typeof timeout === 'number' ? timeout : null,
        errorOnTimeout: m.kwargs.error_on_timeout !== false,
        watch: Array.isArray(m.kwargs.watch) ? m.kwargs.watch : [],
      }, core.clock, () => core.signal, (s) => ctx.waiting(s));
    },

    wait_for: (m) => waitFor(ctx, m),

    // Synchronous unless a deferred pause is due: a checkpoint per step must not cost a promise round trip.
    checkpoint: () => {
      for (const b of core.bundlers.values()) {
        if (b.isBundling) throw new IllegalMessageSequence("Cannot 'checkpoint' after 'create' and before 'save'. Aborting!");
      }
      core.resetCheckpointState();
      if (!core.deferredPauseRequested) return null;
      // bluesky waits 0.5 s here so that a second Ctrl-C can still escalate.
      if (ctx.deferredPauseGrace <= 0) { ctx.requestPause(false); return null; }
      return core.clock.sleep(ctx.deferredPauseGrace, core.signal).then(() => { ctx.requestPause(false); return null; });
    },

    clear_checkpoint: () => {
      core.cache = null;
      for (const b of core.bundlers.values()) b.clearCheckpoint();
      return null;
    },

    rewindable: (m) => {
      const flag = m.args[0];
      if (flag !== null && flag !== undefined) ctx.setRewindable(Boolean(flag));
      return core.rewindable;
    },

    pause: (m) => {
      ctx.requestPause(m.kwargs.defer === true || (m.args[0] === true));
      return null;
    },

    subscribe: (m) => {
      const token = ctx.subscribe(m.args[0] as DocumentCallback, (m.args[1] ?? 'all') as SubscriptionName);
      core.tempTokens.add(token);
      core.resetCheckpointState();
      return token;
    },

    unsubscribe: (m) => {
      const token = (Object.hasOwn(m.kwargs, 'token') ? m.kwargs.token : m.args[0]) as number;
      ctx.unsubscribe(token);
      core.resetCheckpointState();
      if (!core.tempTokens.delete(token)) {
        throw new RunEngineError('ENGINE_UNKNOWN_TOKEN', `${token}: not a subscription made by this plan`);
      }
      return null;
    },

    install_suspender: (m) => { ctx.installSuspender(m.args[0] as Suspender); return null; },
    remove_suspender: (m) => { ctx.removeSuspender(m.args[0] as Suspender); return null; },

    _start_suspender: async (m) => {
      const [prePlan, postPlan, justification, wait] = m.args as [unknown, unknown, string | null, () => Promise<unknown>];
      core.recordInterruption(justification ?? 'suspended');
      await core.stopMovables();
      await core.pauseDevices();
      const replay = core.rewind();
      const wasRewindable = core.rewindable;
      core.plans.push(suspenderHelper(prePlan, postPlan, wait, wasRewindable, replay));
      core.responses.push(null);
      return null;
    },

    _resume_from_suspender: async () => {
      for (const b of core.bundlers.values()) b.restoreMonitors();
      await core.resumeDevices();
      return null;
    },
  };
}

function* suspenderHelper(prePlan: unknown, postPlan: unknown, wait: () => Promise<unknown>, wasRewindable: boolean, replay: Plan): Plan {
  yield makeMsg('rewindable', null, [false]);
  const pre = typeof prePlan === 'function' ? (prePlan as () => PlanLike)() : prePlan;
  if (pre !== null && pre !== undefined) yield* ensurePlan(pre as PlanLike);
  yield makeMsg('wait_for', null, [[wait]]);
  yield makeMsg('_resume_from_suspender');
  const post = typeof postPlan === 'function' ? (postPlan as () => PlanLike)() : postPlan;
  if (post !== null && post !== undefined) yield* ensurePlan(post as PlanLike);
  yield makeMsg('rewindable', null, [wasRewindable]);
  return yield* replay;
}

/** `Msg('wait_for', null, [factories], {timeout})`: results in order; failures are returned, not raised. */
async function waitFor(ctx: CommandContext, m: Msg): Promise<unknown[]> {
  const factories = m.args[0];
  if (!Array.isArray(factories)) throw new RunEngineError('ENGINE_BAD_MESSAGE', 'wait_for expects a list of zero-argument functions returning promises');
  const settled = factories.map((f: unknown) => Promise.resolve().then(() => (f as () => unknown)()).then(
    (value) => ({ status: 'fulfilled' as const, value }), (reason: unknown) => ({ status: 'rejected' as const, reason })));
  const all = Promise.all(settled);
  const timeout = m.kwargs.timeout;
  if (typeof timeout !== 'number') return all;
  const timer = new AbortController();
  // If a pause or stop abandons this command, its timer goes with it.
  ctx.core.signal.addEventListener('abort', () => timer.abort(), { once: true });
  const expired = ctx.core.clock.sleep(timeout, timer.signal).then(() => 'timeout' as const, () => 'aborted' as const);
  const first = await Promise.race([all, expired]);
  timer.abort();
  if (first === 'timeout' || first === 'aborted') throw new WaitForTimeoutError();
  return first;
}
