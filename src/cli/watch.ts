/**
 * `bluesky-dispatcher watch [--url]`: follow a running server over protocol v2 —
 * state, current run and a progress bar (plain lines when stdout is not a TTY).
 * @module
 */
import type { Command } from 'commander';
import { DispatcherClient } from '../protocol/v2/client.js';
import { type Display, plainDisplay, ttyDisplay } from './progress.js';

export const DEFAULT_URL = 'ws://127.0.0.1:8765/v2';

/** The display for stdout: a redrawn bar on a terminal, lines otherwise. */
export function displayFor(out: NodeJS.WriteStream): Display {
  return out.isTTY ? ttyDisplay(out) : plainDisplay(out);
}

/** Watch until SIGINT/SIGTERM; resolves with the exit code. */
export async function watchCommand(opts: { url: string }, out: NodeJS.WriteStream = process.stdout): Promise<number> {
  const client = new DispatcherClient(opts.url);
  const display = displayFor(out);
  client.on('event', (e) => display.event(e));
  client.on('resync', (r) => out.write(`(resynchronised: events were missed) state ${r.status.state}\n`));
  try {
    const sub = await client.subscribe(['state', 'progress', 'exception']);
    const st = sub.status;
    out.write(`status ${st.state} plan=${st.plan ?? '-'} run=${st.run_uid ?? '-'} seq=${String(sub.seq)}\n`);
  } catch (e) {
    process.stderr.write(`error: cannot watch ${opts.url}: ${e instanceof Error ? e.message : String(e)}\n`);
    client.close();
    return 1;
  }
  await new Promise<void>((done) => {
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
  display.end();
  client.close();
  return 0;
}

export function addWatchCommand(program: Command): Command {
  return program.command('watch')
    .description('follow a running server (protocol v2): state, current run and a progress bar')
    .option('--url <url>', 'the server\'s v2 endpoint', DEFAULT_URL)
    .action(async (o: { url: string }) => { process.exitCode = await watchCommand(o); });
}
