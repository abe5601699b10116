/** `serve --rt-priority`: the server's threads really run at SCHED_FIFO (Linux, as root or with CAP_SYS_NICE). @module */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { schedulingPolicy, setRealtimePriority } from '../../src/cli/realtime.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const privileged = process.platform === 'linux' && process.getuid?.() === 0;

describe('real-time scheduling', () => {
  it('refuses a priority out of range, naming the range', () => {
    assert.match(setRealtimePriority(0, 1) ?? '', /integer 1\.\.99, got 0/);
    assert.match(setRealtimePriority(100, 1) ?? '', /integer 1\.\.99, got 100/);
  });

  it('moves every thread of a process to SCHED_FIFO (or says why not)', async () => {
    const child = spawn('sleep', ['30']);
    try {
      const why = setRealtimePriority(7, child.pid);
      if (privileged) {
        assert.equal(why, null);
        assert.equal(schedulingPolicy(child.pid), 'SCHED_FIFO');
      } else {
        assert.notEqual(why, null, 'without the privilege chrt fails and we say why');
        assert.equal(schedulingPolicy(child.pid), 'SCHED_OTHER');
      }
    } finally {
      child.kill();
      await once(child, 'exit');
    }
  });

  it('serve --rt-priority 5: the running server is SCHED_FIFO and says so in its log', { timeout: 30_000 }, async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, 'serve', '--port', '0', '--no-data', '--rt-priority', '5'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    try {
      await new Promise<void>((resolve, reject) => {
        createInterface({ input: child.stderr }).on('line', (line) => { log += `${line}\n`; if (line.includes('"ready"')) resolve(); });
        child.once('exit', () => reject(new Error(`serve exited:\n${log}`)));
      });
      if (privileged) {
        assert.match(log, /real-time scheduling on/);
        assert.equal(schedulingPolicy(child.pid), 'SCHED_FIFO');
      } else {
        assert.match(log, /real-time scheduling not set; running at normal priority/);
      }
    } finally {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
  });
});
