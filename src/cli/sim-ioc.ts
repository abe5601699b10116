/**
 * `bluesky-dispatcher sim-ioc [--port P] [--prefix SIM:]`: the test IOC (simulated motor
 * records, a detector, analog/binary/string/waveform PVs) for trying EPICS devices
 * without hardware. It also runs a CA repeater when none is running.
 * @module
 */
import type { Command } from 'commander';
import { beaconDestinations, caSettings, EpicsError, startSimIoc } from '../epics/index.js';

export interface SimIocCommandOptions {
  port?: string;
  host?: string;
  prefix?: string;
  repeater?: boolean;
}

/** Serve until SIGINT/SIGTERM; resolves with the exit code. */
export async function simIocCommand(opts: SimIocCommandOptions): Promise<number> {
  let settings;
  try {
    settings = caSettings(process.env);
  } catch (e) {
    process.stderr.write(`bluesky-dispatcher sim-ioc: ${e instanceof Error ? e.message : String(e)}\n`);
    return 2;
  }
  const port = opts.port === undefined ? settings.serverPort : Number(opts.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`bluesky-dispatcher sim-ioc: --port must be an integer 0..65535, got ${String(opts.port)}\n`);
    return 2;
  }
  const prefix = opts.prefix ?? 'SIM:';
  let ioc;
  try {
    ioc = await startSimIoc({
      port, prefix, host: opts.host ?? '0.0.0.0',
      beacons: beaconDestinations(settings),
      repeaterPort: opts.repeater === false ? null : settings.repeaterPort,
    });
  } catch (e) {
    if (!(e instanceof EpicsError)) throw e;
    process.stderr.write(`bluesky-dispatcher sim-ioc: ${e.message} (${e.code})\n`);
    return 2;
  }
  const { server, repeater } = ioc;
  const records = [...new Set([...ioc.pvs.keys()].map((n) => n.replace(/\..*$/, '')))];
  process.stdout.write(`sim-ioc listening: udp ${opts.host ?? '0.0.0.0'}:${server.udpPort}, tcp ${server.tcpPort}; `
    + `repeater ${repeater === null ? 'not started (one is running, or --no-repeater)' : `on udp ${repeater.port}`}\n`);
  process.stdout.write(`records: ${records.join(' ')}\n`);
  process.stdout.write(`try: EPICS_CA_ADDR_LIST=127.0.0.1 EPICS_CA_AUTO_ADDR_LIST=NO EPICS_CA_SERVER_PORT=${server.udpPort} caget ${prefix}m1.RBV\n`);
  await new Promise<void>((done) => {
    process.once('SIGINT', () => done());
    process.once('SIGTERM', () => done());
  });
  await ioc.close();
  return 0;
}

/** Add `sim-ioc` to a commander program. */
export function addSimIocCommand(program: Command): Command {
  return program.command('sim-ioc')
    .description('run the test EPICS IOC (Channel Access): SIM:m1 and SIM:m2 motors, SIM:det, SIM:ao1/ai1, SIM:bo1, SIM:str, SIM:wave …')
    .option('-p, --port <port>', 'UDP search port (0: any free one); default EPICS_CA_SERVER_PORT or 5064')
    .option('--host <host>', 'interface to bind', '0.0.0.0')
    .option('--prefix <prefix>', 'prefix of every PV name', 'SIM:')
    .option('--no-repeater', 'do not run a CA repeater on EPICS_CA_REPEATER_PORT')
    .action(async (o: SimIocCommandOptions) => { process.exitCode = await simIocCommand(o); });
}
