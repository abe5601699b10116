/**
 * Human words for a run interrupted by request. bluesky reports every pause,
 * stop, abort and halt to the plan as an exception whose text is meant for a
 * Python prompt (`RE.resume()`, `RE.halt()`, …); protocol v2 passes it on, and
 * the dispatcher reports stop, abort and halt as `RunEngineInterrupted` too,
 * after the engine is idle. So the words come from the exception's type and
 * the state it left the engine in, never from its message (which a server may
 * or may not have rewritten). Pure: unit-tested in Node.
 * @module
 */

/** The exception types that mean "interrupted by request", not "failed". */
export const INTERRUPTIONS: ReadonlySet<string> = new Set(['RunEngineInterrupted', 'RequestStop', 'RequestAbort', 'PlanHalt']);

export const PAUSED_TEXT = 'paused at a checkpoint — resume, stop, abort or halt';

const ENDED_BY: Readonly<Record<string, string>> = {
  stopping: 'stopped by request', aborting: 'aborted by request', halting: 'halted by request',
};
const BY_TYPE: Readonly<Record<string, string>> = {
  RequestStop: 'stopped by request', RequestAbort: 'aborted by request', PlanHalt: 'halted by request',
};

/**
 * The words for an interruption, or null if `type` is not one (a real failure: show its message).
 * @param type the exception event's `type`
 * @param state the engine state when the exception arrived
 * @param endedFrom the state the engine last went idle from (`stopping`, `aborting`, …), if any
 * @param reason an abort's reason (the stop document's), if known
 * @example interruptionText('RunEngineInterrupted', 'paused', null) // 'paused at a checkpoint — resume, stop, abort or halt'
 */
export function interruptionText(type: string, state: string, endedFrom: string | null, reason = ''): string | null {
  if (!INTERRUPTIONS.has(type)) return null;
  let text: string;
  if (type !== 'RunEngineInterrupted') text = BY_TYPE[type] ?? 'interrupted by request';
  else if (state === 'paused' || state === 'pausing') text = PAUSED_TEXT;
  else text = ENDED_BY[state] ?? (endedFrom === null ? undefined : ENDED_BY[endedFrom]) ?? 'interrupted by request';
  return text === 'aborted by request' && reason !== '' ? `${text}: ${reason}` : text;
}
