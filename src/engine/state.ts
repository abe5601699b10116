/**
 * The RunEngine's nine states and bluesky's transition table, as data.
 * The only place the state changes; listeners hear every successful change.
 * @module
 */
import { TransitionError } from '../model/errors.js';

/** In bluesky's order (test_states). */
export const STATES = ['idle', 'running', 'pausing', 'paused', 'halting', 'stopping', 'aborting', 'suspending', 'panicked'] as const;
export type RunEngineState = (typeof STATES)[number];

/** from → allowed targets (bluesky RunEngineStateMachine). */
const TRANSITIONS: Readonly<Record<RunEngineState, readonly RunEngineState[]>> = {
  idle: ['running', 'panicked'],
  running: ['idle', 'pausing', 'halting', 'stopping', 'aborting', 'suspending', 'panicked'],
  pausing: ['paused', 'idle', 'halting', 'aborting', 'panicked'],
  suspending: ['running', 'halting', 'aborting', 'panicked'],
  paused: ['idle', 'running', 'halting', 'stopping', 'aborting', 'panicked'],
  halting: ['idle', 'panicked'],
  stopping: ['idle', 'panicked'],
  aborting: ['idle', 'panicked'],
  panicked: [],
};

export function canTransition(from: RunEngineState, to: RunEngineState): boolean {
  return TRANSITIONS[from].includes(to);
}

export type StateListener = (newState: RunEngineState, oldState: RunEngineState) => void;

/** Holds the current state; `set` validates against the table then notifies listeners in order. */
export class StateMachine {
  #state: RunEngineState = 'idle';
  readonly #listeners: StateListener[] = [];

  get value(): RunEngineState { return this.#state; }

  /** @throws TransitionError (ENGINE_ILLEGAL_TRANSITION) when the table forbids it. */
  set(to: RunEngineState): void {
    const from = this.#state;
    if (!canTransition(from, to)) throw new TransitionError(`Cannot transit from '${from}' to '${to}'.`);
    this.#state = to;
    for (const fn of this.#listeners) fn(to, from);
  }

  onChange(fn: StateListener): () => void {
    this.#listeners.push(fn);
    return () => {
      const i = this.#listeners.indexOf(fn);
      if (i >= 0) this.#listeners.splice(i, 1);
    };
  }
}
