/**
 * `bluesky-dispatcher watch [--url|--port]`: follow a running server over protocol v2 —
 * state, current run and a progress bar (plain lines when stdout is not a TTY).
 * @module
 */
import type { Command } from 'commander';
import { type UrlOptions, connect, resolveUrl, withUrlOptions } from './connect.js';
import { statusLine } from './control.js';
import { displayFor } from './progress.js';

export { DEFAULT_URL } from './connect.js';

/** Watch until SIGINT/SIGTERM; resolves with the exit code. @throws UsageError when the server cannot be reached */
export async function watchCommand(opts: UrlOptions, out: NodeJS.WriteStream = process.stdout): Promise<number> {
  const client = await connect(resolveUrl(opts));
  const display = displayFor(out);
  client.on('event', (e) => display.event(e));
  client.on('resync', (r) => out.write(`(resynchronised: events were missed) ${statusLine(r.status)}\n`));
  try {
    const sub = await client.subscribe(['state', 'progress', 'exception']);
    out.write(`status ${statusLine(sub.status)} seq=${String(sub.seq)}\n`);
  } catch (e) {
    process.stderr.write(`error: cannot watch ${client.url}: ${e instanceof Error ? e.message : String(e)}\n`);
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
  return withUrlOptions(program.command('watch')
    .description('follow a running server (protocol v2): state, current run and a progress bar'))
    .action(async (o: UrlOptions) => { process.exitCode = await watchCommand(o); });
}
