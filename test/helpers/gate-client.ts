/**
 * The plan side of the test gates (runs in the engine's thread, worker or not):
 * `askGate(name)` resolves once the test, on the main thread, has opened that
 * gate. Questions and answers travel over a BroadcastChannel named by the test
 * server (in the environment the worker inherits), so no test-only API is needed.
 * @module
 */

/** What the test server tells its plans module (through `BLUESKY_TEST_PLANS`). */
export interface TestPlanOptions {
  /** The BroadcastChannel of this server's gates. */
  channel: string;
  /** `simulated` waits at the `simulated` gate instead of sleeping. */
  simulatedGated: boolean;
  /** `slow_count` is `gated`. */
  slowCountGated: boolean;
}

export function testPlanOptions(): TestPlanOptions {
  const raw = process.env.BLUESKY_TEST_PLANS;
  const parsed = raw === undefined ? {} : (JSON.parse(raw) as Partial<TestPlanOptions>);
  return { channel: parsed.channel ?? 'bluesky-test-gates', simulatedGated: parsed.simulatedGated ?? false, slowCountGated: parsed.slowCountGated ?? false };
}

let channel: BroadcastChannel | null = null;
let nextId = 1;
const waiting = new Map<number, () => void>();

/** Resolves when the test opens gate `name` (at once if it is open already). */
export function askGate(name: string): Promise<void> {
  if (channel === null) {
    channel = new BroadcastChannel(testPlanOptions().channel);
    // Never what keeps a thread alive (in process, the test's own thread must be free to exit).
    (channel as unknown as { unref?: () => void }).unref?.();
    channel.onmessage = (e: MessageEvent) => {
      const { answer } = e.data as { answer?: number };
      if (answer === undefined) return;
      waiting.get(answer)?.();
      waiting.delete(answer);
    };
  }
  const id = nextId++;
  return new Promise<void>((resolve) => {
    waiting.set(id, resolve);
    channel?.postMessage({ ask: id, gate: name });
  });
}
