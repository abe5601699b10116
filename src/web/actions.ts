/**
 * Which control buttons are legal in which engine state: the panel enables a
 * button only where the server would accept the verb (bluesky's transition
 * table, src/engine/state.ts; a test checks the two agree).
 * @module
 */

export type Action = 'start' | 'pause' | 'pauseDeferred' | 'resume' | 'stop' | 'abort' | 'halt';
export const ACTIONS: readonly Action[] = ['start', 'pause', 'pauseDeferred', 'resume', 'stop', 'abort', 'halt'];

/** The engine state each verb moves to (`start`: the dispatcher refuses it while busy). */
export const TARGET: Readonly<Record<Exclude<Action, 'start'>, string>> = {
  pause: 'pausing', pauseDeferred: 'pausing', resume: 'running', stop: 'stopping', abort: 'aborting', halt: 'halting',
};

const LEGAL: Readonly<Record<Exclude<Action, 'start'>, readonly string[]>> = {
  pause: ['running'],
  pauseDeferred: ['running'],
  resume: ['paused'],
  stop: ['running', 'paused'],
  abort: ['running', 'pausing', 'suspending', 'paused'],
  halt: ['running', 'pausing', 'suspending', 'paused'],
};

/** Is `action` legal now? `busy`: a scan is in progress (the dispatcher's flag). */
export function isLegal(action: Action, state: string, busy: boolean): boolean {
  if (action === 'start') return state === 'idle' && !busy;
  return LEGAL[action].includes(state);
}
