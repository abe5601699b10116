/**
 * The test side of the gates (see gate-client.ts): a Gate is a promise the test
 * opens; a GateBroker answers the plans' questions from the main thread with
 * whichever gate is current when the plan asks.
 * @module
 */
import { randomUUID } from 'node:crypto';
import type { TestPlanOptions } from './gate-client.js';

/** A promise with its resolve function: lets a test hold a scan until it says go. */
export class Gate {
  #open!: () => void;
  readonly promise = new Promise<void>((resolve) => { this.#open = resolve; });
  open(): void { this.#open(); }
}

export class GateBroker {
  readonly options: TestPlanOptions;
  readonly #channel: BroadcastChannel;

  /** `gates`: by name, the promise a plan asking for that gate waits on (read when it asks). */
  constructor(gates: Readonly<Record<string, () => Promise<void>>>, options: Partial<Omit<TestPlanOptions, 'channel'>> = {}) {
    this.options = { channel: `bluesky-test-gates-${randomUUID()}`, simulatedGated: false, slowCountGated: false, ...options };
    this.#channel = new BroadcastChannel(this.options.channel);
    (this.#channel as unknown as { unref?: () => void }).unref?.();
    this.#channel.onmessage = (e: MessageEvent) => {
      const { ask, gate } = e.data as { ask?: number; gate?: string };
      if (ask === undefined || gate === undefined) return;
      const wait = gates[gate] ?? (() => Promise.resolve());
      void wait().then(() => this.#channel.postMessage({ answer: ask }));
    };
  }

  /** Put the options where the plans module (in the worker about to be started) reads them. */
  publish(): void { process.env.BLUESKY_TEST_PLANS = JSON.stringify(this.options); }

  close(): void { this.#channel.close(); }
}
