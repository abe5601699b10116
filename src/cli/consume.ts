/**
 * `bluesky-dispatcher consume --bus redis://… [--instance NAME] [--since ID]`:
 * a server's documents from Redis Streams as suitcase-jsonl lines (`[name, doc]`,
 * like `runs export`), following the stream until interrupted. The last entry
 * id goes to stderr at the end, to resume with `--since`.
 * @module
 */
import { once } from 'node:events';
import type { Command } from 'commander';
import { BusError, checkInstance, checkSinceId, defaultInstance, parseBusUrl, readDocuments } from '../bus/index.js';
import { onStdoutClosed, stdoutClosed } from './output.js';

export interface ConsumeOptions {
  bus: string;
  instance?: string;
  since?: string;
  /** Default true: wait for new documents; false: stop once caught up. */
  follow?: boolean;
}

/** Print documents until caught up (no follow), interrupted, or stdout's reader leaves; returns the exit code. */
export async function consumeCommand(opts: ConsumeOptions): Promise<number> {
  let instance: string;
  let since: string;
  try {
    parseBusUrl(opts.bus);
    instance = checkInstance(opts.instance ?? defaultInstance());
    since = checkSinceId(opts.since ?? '0');
  } catch (e) {
    process.stderr.write(`error: ${(e as Error).message}\n`);
    return 2;
  }
  const ac = new AbortController();
  const stop = (): void => ac.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const offClosed = onStdoutClosed(stop);
  let last: string | null = null;
  let code = 0;
  try {
    for await (const d of readDocuments({
      url: opts.bus, instance, since, follow: opts.follow !== false, signal: ac.signal,
      onBadEntry: (id, why) => { process.stderr.write(`warning: entry ${id} skipped: ${why}\n`); },
      onReconnecting: (why) => { process.stderr.write(`warning: lost Redis (${why || 'connection closed'}); reconnecting\n`); },
    })) {
      last = d.id;
      if (stdoutClosed()) break;
      // Re-serialised: the line is valid JSON on one line whatever the entry's text looked like.
      if (!process.stdout.write(`${JSON.stringify([d.name, d.doc])}\n`)) await once(process.stdout, 'drain', { signal: ac.signal }).catch(() => undefined);
    }
  } catch (e) {
    if (!(e instanceof BusError)) throw e;
    process.stderr.write(`error: ${e.message}\n`);
    code = 2;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    offClosed();
  }
  if (last !== null) process.stderr.write(`last entry id: ${last} (resume with --since ${last})\n`);
  return code;
}

export function addConsumeCommand(program: Command): Command {
  return program.command('consume')
    .description('print a server\'s documents from its Redis Streams bus as suitcase-jsonl lines ([name, doc]); see docs/scale-out.md')
    .requiredOption('--bus <url>', 'the Redis the server publishes to (redis://HOST:PORT)')
    .option('--instance <name>', 'the server\'s --instance (default: this host\'s name)')
    .option('--since <id>', 'print entries after this id (as printed at the end); 0 = everything the stream keeps, $ = only new ones', '0')
    .option('--no-follow', 'stop once caught up instead of waiting for new documents')
    .action(async (o: { bus: string; instance?: string; since: string; follow: boolean }) => {
      process.exitCode = await consumeCommand({ bus: o.bus, since: o.since, follow: o.follow, ...(o.instance === undefined ? {} : { instance: o.instance }) });
    });
}
