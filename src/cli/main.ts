/**
 * The `bluesky-dispatcher` command line: `run` a plan in-process, `serve` the
 * websocket dispatcher, and the client commands for a running server. The
 * only code that reads argv or calls process.exit. Usage and environment
 * errors are one line and exit code 2 (see errors.ts).
 * @module
 */
import { Command, CommanderError } from 'commander';
import { VERSION } from '../version.js';
import { addAuditCommand } from './audit.js';
import { addConsumeCommand } from './consume.js';
import { addControlCommands } from './control.js';
import { UsageError, describeSystemError, isSystemError } from './errors.js';
import { watchStdout } from './output.js';
import { runCommand } from './run.js';
import { addQueueCommand } from './queue.js';
import { addRunsCommand } from './runs.js';
import { addKeysCommand } from './keys.js';
import { addServeCommand } from './serve.js';
import { addSimIocCommand } from './sim-ioc.js';
import { addStartCommand } from './start.js';
import { addWatchCommand } from './watch.js';

const program = new Command('bluesky-dispatcher')
  .description('A faithful TypeScript RunEngine for Bluesky plans, and a websocket control server')
  .version(VERSION)
  .exitOverride();

program.command('run <plan>')
  .description('run a standard plan (count, scan, rel_scan, list_scan, rel_list_scan, grid_scan, rel_grid_scan, log_scan) on the simulated devices')
  .option('--params <json>', 'parameters named as in Python, devices by name, e.g. \'{"detectors":["det1"],"num":3}\'', '{}')
  .option('--jsonl <file>', 'write every document as a [name, doc] line (suitcase-jsonl); "-" for stdout')
  .option('--msgs <file>', 'write every processed message as a line of the recordings\' layout')
  .option('--data <dir>', 'also record the run in this data directory (SQLite; see docs/storage.md)')
  .action(async (plan: string, opts: { params: string; jsonl?: string; msgs?: string; data?: string }) => {
    process.exitCode = await runCommand(plan, opts);
  });

addServeCommand(program);
addKeysCommand(program);
addWatchCommand(program);
addStartCommand(program);
addControlCommands(program);
addRunsCommand(program);
addAuditCommand(program);
addQueueCommand(program);
addSimIocCommand(program);
addConsumeCommand(program);

watchStdout();

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) {
    process.exitCode = e.exitCode === 0 ? 0 : 2;
  } else if (e instanceof UsageError) {
    process.stderr.write(`error: ${e.message}\n`);
    process.exitCode = 2;
  } else if (isSystemError(e)) {
    // A file or socket the environment refused (commands map the ones they expect; this catches the rest).
    process.stderr.write(`error: ${describeSystemError(e, e.path ?? e.syscall ?? 'system call') ?? e.message}\n`);
    process.exitCode = 2;
  } else {
    process.stderr.write(`error: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
    process.exitCode = 1;
  }
}
