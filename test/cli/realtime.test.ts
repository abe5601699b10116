/** `serve --rt-priority`: the server's threads really run at SCHED_FIFO (Linux, as root or with CAP_SYS_NICE). @module */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { schedulingPolicy, setRealtimePriority } from '../../src/cli/realtime.js';
import { TestChild, startServe } from '../helpers/child.js';
const privileged = process.platform === 'linux' && process.getuid?.() === 0;

describe('real-time scheduling', () => {
  it('refuses a priority out of range, naming the range', () => {
    assert.match(setRealtimePriority(0, 1) ?? '', /integer 1\.\.99, got 0/);
    assert.match(setRealtimePriority(100, 1) ?? '', /integer 1\.\.99, got 100/);
  });

  it('moves every thread of a process to SCHED_FIFO (or says why not)', async () => {
    const child = new TestChild('sleep', ['30'], { deadlineMs: 30_000 });
    try {
      const why = setRealtimePriority(7, child.proc.pid);
      if (privileged) {
        assert.equal(why, null);
        assert.equal(schedulingPolicy(child.proc.pid), 'SCHED_FIFO');
      } else {
        assert.notEqual(why, null, 'without the privilege chrt fails and we say why');
        assert.equal(schedulingPolicy(child.proc.pid), 'SCHED_OTHER');
      }
    } finally {
      await child.stop();
    }
  });

  it('serve --rt-priority 5: the running server is SCHED_FIFO and says so in its log', { timeout: 30_000 }, async () => {
    const { child } = await startServe(['--port', '0', '--no-data', '--rt-priority', '5'], { deadlineMs: 30_000 });
    try {
      if (privileged) {
        assert.match(child.err, /real-time scheduling on/);
        assert.equal(schedulingPolicy(child.proc.pid), 'SCHED_FIFO');
      } else {
        assert.match(child.err, /real-time scheduling not set; running at normal priority/);
      }
    } finally {
      await child.stop();
    }
  });
});
