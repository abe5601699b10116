/**
 * Child processes for tests, which can never hang a test file: each has a
 * deadline (SIGKILL when it passes), every wait for output has a timeout and
 * also ends when the child fails to start ('error') or exits, and whatever is
 * still running when the test process exits is killed.
 * @module
 */
import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The CLI from source (through tsx), as the tests run it: always the code under test, never a stale dist/. */
export const CLI_MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

const live = new Map<ChildProcess, boolean>();
// A test that failed half-way (or a runner that gave up on a file) must not leave servers or browsers behind.
process.once('exit', () => { for (const [c, group] of live) signal(c, 'SIGKILL', group); });

/** Signal the child, or its whole process group (what Ctrl-C in a terminal does). */
function signal(c: ChildProcess, sig: NodeJS.Signals, group: boolean): void {
  if (group && c.pid !== undefined) {
    try { process.kill(-c.pid, sig); } catch { /* already gone */ }
  } else {
    c.kill(sig);
  }
}

export interface ChildOptions extends Pick<SpawnOptions, 'cwd' | 'env'> {
  /** SIGKILL after this long, whatever happens (default 60 s). */
  deadlineMs?: number;
  /** Written to stdin, which is then closed (default: stdin is closed at once). */
  input?: string;
  /**
   * Run in its own process group and signal the whole group, as a terminal's
   * Ctrl-C does: for wrappers such as `npx` or `sh -c`, which do not pass
   * signals on to the program they started.
   */
  group?: boolean;
}

export interface Exit { code: number | null; signal: NodeJS.Signals | null }

export class TestChild {
  readonly proc: ChildProcess;
  readonly exited: Promise<Exit>;
  /** Set when the process could not be started (e.g. ENOENT). */
  startError: Error | null = null;
  #out = '';
  #err = '';
  #wake: Array<() => void> = [];
  #deadline: ReturnType<typeof setTimeout>;
  readonly #group: boolean;

  constructor(command: string, args: readonly string[], opts: ChildOptions = {}) {
    this.#group = opts.group === true;
    const proc = spawn(command, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'], detached: this.#group });
    this.proc = proc;
    live.set(proc, this.#group);
    proc.stdout?.on('data', (d: Buffer) => { this.#out += d.toString(); this.#notify(); });
    proc.stderr?.on('data', (d: Buffer) => { this.#err += d.toString(); this.#notify(); });
    proc.stdin?.on('error', () => { /* the child may exit before reading its input */ });
    proc.stdin?.end(opts.input);
    this.exited = new Promise<Exit>((resolve) => {
      proc.once('error', (e) => { this.startError = e; live.delete(proc); this.#notify(); resolve({ code: null, signal: null }); });
      proc.once('close', (code, signal) => { live.delete(proc); this.#notify(); resolve({ code, signal }); });
    });
    this.#deadline = setTimeout(() => { signal(proc, 'SIGKILL', this.#group); }, opts.deadlineMs ?? 60_000);
    this.#deadline.unref();
    void this.exited.then(() => { clearTimeout(this.#deadline); });
  }

  get out(): string { return this.#out; }
  get err(): string { return this.#err; }
  get running(): boolean { return this.proc.exitCode === null && this.proc.signalCode === null && this.startError === null; }

  /** The exit code once it has exited (null if killed by a signal or never started). */
  async code(): Promise<number | null> { return (await this.exited).code; }

  /** Wait until stdout or stderr matches `pattern`; rejects at `timeoutMs`, or if the child exits or cannot start first. */
  async waitFor(pattern: RegExp, what: string, timeoutMs = 30_000, stream: 'out' | 'err' | 'both' = 'both'): Promise<RegExpExecArray> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const text = stream === 'out' ? this.#out : stream === 'err' ? this.#err : `${this.#out}\n${this.#err}`;
      const m = pattern.exec(text);
      if (m !== null) return m;
      if (!this.running) throw new Error(`${what}: the process ended first (${this.#describeEnd()})\n${this.#tail()}`);
      const left = end - Date.now();
      if (left <= 0) throw new Error(`${what}: timed out after ${String(timeoutMs)} ms\n${this.#tail()}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.#wake.push(() => { clearTimeout(t); resolve(); });
      });
    }
  }

  /** Send `signal` and wait for the exit; SIGKILL if it has not exited after `graceMs`. */
  async stop(sig: NodeJS.Signals = 'SIGTERM', graceMs = 10_000): Promise<Exit> {
    if (this.running) {
      signal(this.proc, sig, this.#group);
      const t = setTimeout(() => { signal(this.proc, 'SIGKILL', this.#group); }, graceMs);
      await this.exited;
      clearTimeout(t);
    }
    // A group's other members (the program behind a wrapper) may outlive its leader for a moment.
    if (this.#group) signal(this.proc, 'SIGKILL', true);
    return this.exited;
  }

  #describeEnd(): string {
    if (this.startError !== null) return `could not start: ${this.startError.message}`;
    return `exit ${String(this.proc.exitCode)}${this.proc.signalCode === null ? '' : `, ${this.proc.signalCode}`}`;
  }

  #tail(): string { return `--- stdout\n${this.#out.slice(-2000)}\n--- stderr\n${this.#err.slice(-2000)}`; }

  #notify(): void {
    const w = this.#wake;
    this.#wake = [];
    for (const f of w) f();
  }
}

/** `bluesky-dispatcher ARGS` from source, as a child process. */
export function cliChild(args: readonly string[], opts: ChildOptions = {}): TestChild {
  return new TestChild(process.execPath, ['--import', 'tsx', CLI_MAIN, ...args], opts);
}

export interface CliResult { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; ms: number }

/** Run the CLI to its end (killed at the deadline). */
export async function runCli(args: readonly string[], opts: ChildOptions = {}): Promise<CliResult> {
  const t0 = performance.now();
  const c = cliChild(args, opts);
  const { code, signal } = await c.exited;
  return { code, signal, stdout: c.out, stderr: c.err, ms: performance.now() - t0 };
}

/** A `serve` child: started, its URLs read from its ready log line. */
export interface ServeChild { child: TestChild; port: number; url: string; v2: string }

/** Start `serve ARGS` (add `--port 0` yourself for an ephemeral port) and wait for it to say it is ready. */
export async function startServe(args: readonly string[], opts: ChildOptions & { readyMs?: number } = {}): Promise<ServeChild> {
  const child = cliChild(['serve', ...args], { deadlineMs: 300_000, ...opts });
  try {
    // pino's JSON "ready" line (stderr is not a terminal here) carries the v1 URL.
    const m = await child.waitFor(/"url":"(ws:\/\/[^"]*:(\d+)\/)"[^\n]*"ready"|"ready"[^\n]*"url":"(ws:\/\/[^"]*:(\d+)\/)"/, 'serve ready', opts.readyMs ?? 30_000, 'err');
    const url = m[1] ?? m[3] ?? '';
    return { child, url, port: Number(m[2] ?? m[4]), v2: `${url}v2` };
  } catch (e) {
    await child.stop('SIGKILL');
    throw e;
  }
}
