/**
 * The README's commands on a fresh clone, as a newcomer runs them: `git clone`
 * into an empty temporary directory (nothing beside it: none of the reference
 * material the project was built from), then
 * the "Two commands" block — `npm ci`, the `run` command, the `serve` command
 * (started, connected to, stopped) and `npm test`.
 *
 * `npm test` inside the clone runs only a small quick subset
 * (BLUESKY_QUICK_TESTS=1, see scripts/run-tests.mjs): the full suite there
 * would run this test again, recursively, and double the suite's time. The
 * full `npm test` on a clean clone is what CI itself does (.ci/run).
 * What is cloned is the committed HEAD: uncommitted edits are not in it.
 * @module
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { TestChild } from '../helpers/child.js';
import { OFFLINE, ROOT, cleanEnv, run } from './pack.js';

const QUICK = process.env.BLUESKY_QUICK_TESTS === '1';
const work = mkdtempSync(join(tmpdir(), 'bsd-clone-'));
const clone = join(work, 'bluesky-dispatcher');
after(() => { rmSync(work, { recursive: true, force: true }); });

/** The shell lines of the README's "Two commands" block, comments dropped. */
function readmeCommands(): string[] {
  const text = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const block = /## Two commands\s+```sh\n([\s\S]*?)```/.exec(text)?.[1];
  if (block === undefined) throw new Error('README.md has no "## Two commands" sh block');
  return block.split('\n').map((l) => l.replace(/\s+#.*$/, '').trim()).filter((l) => l !== '');
}

// npm may use its cache first (the command is the README's; only where packages come from differs).
const env = cleanEnv({ npm_config_prefer_offline: 'true' });

function why(): string | undefined {
  if (QUICK) return 'this is the fresh clone\'s own quick `npm test` (BLUESKY_QUICK_TESTS=1): not again';
  if (!existsSync(join(ROOT, '.git'))) return 'not a git checkout: nothing to clone';
  return undefined;
}

describe('the README on a fresh clone', { timeout: 1_200_000, ...(why() === undefined ? {} : { skip: why() }) }, () => {
  const commands = readmeCommands();
  const line = (prefix: string): string => {
    const found = commands.find((c) => c.startsWith(prefix));
    if (found === undefined) throw new Error(`the README's commands have no "${prefix}…": ${JSON.stringify(commands)}`);
    return found;
  };

  it('has the commands this test runs', () => {
    assert.deepEqual(commands.map((c) => c.split(' ').slice(0, 3).join(' ')),
      ['npm ci', 'npx bluesky-dispatcher run', 'npx bluesky-dispatcher serve', 'npm test']);
  });

  it('git clone, then npm ci (installs, builds dist/ and the panel)', async (t) => {
    await run('git', ['clone', '--quiet', ROOT, clone], { cwd: work, env });
    // Nothing beside the clone: whatever the tests need must be inside the repository.
    assert.deepEqual(readdirSync(work), ['bluesky-dispatcher']);
    const r = await run('sh', ['-c', line('npm ci')], { cwd: clone, env, deadlineMs: 900_000, allowFailure: true });
    if (r.code !== 0 && process.env.CI !== 'true' && OFFLINE.test(r.err)) { t.skip(`npm cannot reach the registry: ${r.err.trim().split('\n')[0] ?? ''}`); return; }
    assert.equal(r.code, 0, r.err);
    assert.ok(existsSync(join(clone, 'dist/index.js')), 'dist/ built');
    assert.ok(existsSync(join(clone, 'dist-web/index.html')), 'the panel built');
  });

  it('the run command', async (t) => {
    if (!existsSync(join(clone, 'node_modules'))) { t.skip('npm ci did not run'); return; }
    const r = await run('sh', ['-c', line('npx bluesky-dispatcher run')], { cwd: clone, env, deadlineMs: 120_000 });
    assert.match(r.out, /Transient Scan ID: 1/);
    assert.match(r.out, /generator success; events: \{"primary":5\}/);
  });

  it('the serve command: starts, answers the panel, v2 and v1, stops on Ctrl-C', async (t) => {
    if (!existsSync(join(clone, 'node_modules'))) { t.skip('npm ci did not run'); return; }
    // Port 0 instead of the README's 8765, which another server on this machine may hold.
    const cmd = line('npx bluesky-dispatcher serve').replace(/--port \d+/, '--port 0');
    // Its own process group, signalled as a whole: npx does not pass signals on, a terminal's Ctrl-C reaches them all.
    const serve = new TestChild('sh', ['-c', cmd], { cwd: clone, env, deadlineMs: 180_000, group: true });
    try {
      // stderr is not a terminal: JSON log lines, the ready line with the panel's address.
      await serve.waitFor(/"msg":"ready"/, 'serve ready', 90_000, 'err');
      const port = /"panel":"http:\/\/127\.0\.0\.1:(\d+)\/"/.exec(serve.err)?.[1] ?? '';
      assert.match(port, /^\d+$/, serve.err);
      assert.equal((await fetch(`http://127.0.0.1:${port}/`)).status, 200, 'the panel');
      const st = await run('sh', ['-c', `npx bluesky-dispatcher status --port ${port}`], { cwd: clone, env, deadlineMs: 60_000 });
      assert.equal(st.out, 'idle\n');
      const { WebSocket } = await import('ws');
      const v1 = new WebSocket(`ws://127.0.0.1:${port}/`);
      const reply = await new Promise<string>((resolve, reject) => {
        v1.once('open', () => v1.send('{"type":"state"}'));
        v1.once('message', (d) => resolve(String(d)));
        v1.once('error', reject);
      });
      v1.terminate();
      assert.match(reply, /"state": "idle"/);
    } finally {
      await serve.stop('SIGINT', 30_000);
    }
    assert.match(serve.err, /"msg":"stopped"/, 'a graceful stop');
  });

  it('npm test (the quick subset)', async (t) => {
    if (!existsSync(join(clone, 'node_modules'))) { t.skip('npm ci did not run'); return; }
    const r = await run('sh', ['-c', line('npm test')], { cwd: clone, env: { ...env, BLUESKY_QUICK_TESTS: '1' }, deadlineMs: 600_000 });
    assert.match(r.out, /^# fail 0$/m);
    assert.match(r.out, /^# pass [1-9]\d*$/m);
  });
});
