/**
 * Every v1 reply and stream message, in the seed's exact words and key order,
 * serialised as Python's json.dumps writes them.
 * @module
 */
import type { DispatcherEvent, ParamError, ScanInfo, Snapshot } from '../../dispatcher/index.js';
import { pyExceptionRepr, pyJson, pyUtcDatetime } from './python-format.js';

export const NOT_JSON = pyJson({ success: false, status: 'Your message could not be properly decoded, is it valid json?' });
export const UNSUPPORTED = pyJson({ success: false, status: 'Unsupported message type' });
export const NO_PLAN_KEY = pyJson({ success: false, status: 'You need to provide a "plan" key specifying which scan you want to start' });
export const NOT_PAUSED = pyJson({ success: false, status: "cannot resume a runEngine that isn't paused" });

/** "pause requested", "resume requested", ... */
export function requested(verb: 'pause' | 'resume' | 'stop' | 'abort' | 'halt'): string {
  return pyJson({ success: true, status: `${verb} requested` });
}

/** The start reply; `params` echoes the request's and is present only when the request had it. */
export function started(params: unknown): string {
  const body: Record<string, unknown> = { success: true, status: 'Signalling main thread to start a new scan' };
  if (params !== undefined) body.params = params;
  return pyJson(body);
}

export function busy(planName: string | null): string {
  return pyJson({ success: false, status: `Currently busy with "${planName ?? 'None'}" scan` });
}

/** The seed's text; when a registered name is a likely typo we add ` (did you mean "X"?)`. */
export function unknownPlan(name: string, suggestion: string | null = null): string {
  const hint = suggestion === null ? '' : ` (did you mean "${suggestion}"?)`;
  return pyJson({ success: false, status: `I don't recognise any scan function by the name "${name}"${hint}` });
}

/** Our addition (the seed did not validate): the problems, each with a path. */
export function invalidParams(name: string, summary: string, errors: readonly ParamError[]): string {
  return pyJson({
    success: false,
    status: `Invalid parameters for "${name}": ${summary}`,
    errors: errors.map((e) => ({ path: e.path, message: e.message, expected: e.expected, got: e.got })),
  });
}

/** A request this connection may not make (`serve --auth`, `--v1-scopes`): no seed reply exists, so a plain refusal. */
export function refused(why: string): string {
  return pyJson({ success: false, status: why });
}

export function exceptionRaised(error: unknown): string {
  return pyJson({ success: false, status: 'exception was raised', exception: pyExceptionRepr(error) });
}

export function currentState(state: string): string {
  return pyJson({ type: 'status', about: 'current state of the Bluesky RunEngine', state });
}

function time(info: ScanInfo): string | null {
  return info.runStartTime === null ? null : pyUtcDatetime(info.runStartTime);
}

/** The first message a subscriber gets. */
export function firstStatus(version: string, snap: Snapshot): string {
  return pyJson({
    bluesky_dispatcher_version: version, type: 'status', about: 'run engine state updates', state: snap.state,
    plan_name: snap.info.planName, run_uid: snap.info.runUid, run_start_time: time(snap.info),
  });
}

/** One stream message per dispatcher event (state change, run-uid update, exception). */
export function eventMessage(event: DispatcherEvent): string {
  if (event.kind === 'exception') {
    return pyJson({
      type: 'exception', about: 'exception raised during execution of supplied bluesky plan',
      message: `supplied plan with name "${event.planName ?? 'None'}" raised exception\n${pyExceptionRepr(event.error)}`,
    });
  }
  // A run-uid update repeats the state with old_state null (as the seed's fixed build sends it).
  const oldState = event.kind === 'state' ? event.oldState : null;
  return pyJson({
    type: 'status', about: 'run engine state updates', state: event.state, old_state: oldState,
    plan_name: event.info.planName, run_uid: event.info.runUid, run_start_time: time(event.info),
  });
}
