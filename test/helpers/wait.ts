/**
 * Waiting in tests: poll a condition until it holds (or fail naming what was
 * awaited), and expect an operation's refusal.
 * @module
 */
import assert from 'node:assert/strict';
import { OpError } from '../../src/ops/index.js';

/** Poll `test` every `everyMs` until it is true; fail after `ms` naming `what`. */
export async function until(what: string, test: () => boolean | Promise<boolean>, ms = 20_000, everyMs = 10): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await test())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** The OpError `p` rejects with (anything else is rethrown; fulfilling fails the test). */
export async function refusal(p: Promise<unknown>): Promise<OpError> {
  try { await p; } catch (e) { if (e instanceof OpError) return e; throw e; }
  assert.fail('expected an OpError');
}
