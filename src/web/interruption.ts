/**
 * Human words for a run interrupted by request. bluesky reports pauses and
 * interruptions to the plan as exceptions whose text is meant for a Python
 * prompt (`RE.resume()`, `RE.halt()`, …), and not for every case (a stop from
 * paused raises nothing new); a server may or may not rewrite that text. So the
 * panel says it from the engine's transitions, which every interruption makes,
 * and shows the interruption exceptions themselves only as these words.
 * Pure: unit-tested in Node.
 * @module
 */

/** The exception types that mean "interrupted by request", not "failed". */
export const INTERRUPTIONS: ReadonlySet<string> = new Set(['RunEngineInterrupted', 'RequestStop', 'RequestAbort', 'PlanHalt']);

export const PAUSED_TEXT = 'paused at a checkpoint — resume, stop, abort or halt';

const ENDED_BY: Readonly<Record<string, string>> = {
  stopping: 'stopped by request', aborting: 'aborted by request', halting: 'halted by request',
};

/**
 * The words for an engine transition that is an interruption, or null for any other.
 * @param old the state it left (null: a run-uid announcement, never an interruption)
 * @param now the state it entered
 * @param reason an abort's reason (the stop document's), if known
 * @example interruptionText('pausing', 'paused') // 'paused at a checkpoint — resume, stop, abort or halt'
 */
export function interruptionText(old: string | null, now: string, reason = ''): string | null {
  if (old === null || old === now) return null;
  if (now === 'paused') return PAUSED_TEXT;
  if (now !== 'idle') return null;
  const text = ENDED_BY[old];
  if (text === undefined) return null;
  return old === 'aborting' && reason !== '' ? `${text}: ${reason}` : text;
}
