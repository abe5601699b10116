/**
 * The whole path, as a beamline would run it: the test IOC and `serve --devices FILE`
 * as real processes, a plan started over protocol v2. A scan of SIM:m1 reading SIM:det:
 * readbacks equal set points, every document is schema-valid; pause / resume / abort
 * mid-move stop the motor; a device that cannot connect is reported (and refused with
 * --require-devices).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CaClient, simDetValue } from '../../src/epics/index.js';
import type { DocumentName } from '../../src/model/documents.js';
import { documentErrors } from '../../src/model/validate.js';
import { DispatcherClient } from '../../src/protocol/v2/client.js';
import { runCli, startServe, type ServeChild } from '../helpers/child.js';
import { startIocChild, type IocChild } from './helpers.js';
import { until as waitUntil } from '../helpers/wait.js';

/** This file's wait: 30,000 ms. */
const until = (what: string, test: () => boolean | Promise<boolean>, ms = 30_000): Promise<void> => waitUntil(what, test, ms);

let ioc: IocChild;
let serve: ServeChild;
let dir: string;
let file: string;
let ca: CaClient;
let v2: DispatcherClient;
const docs: Array<{ name: string; doc: Record<string, unknown> }> = [];
const states: string[] = [];

const CONFIG = `
ca: {connection_timeout: 1}
devices:
  m1: {class: EpicsMotor, prefix: "SIM:m1"}
  epics_det: {class: EpicsSignalRO, read_pv: "SIM:det"}
  ghost: {class: EpicsSignalRO, read_pv: "NOPE:missing"}
`;

/** A PV's value as a number (a fresh get). */
async function num(pv: string): Promise<number> {
  return Number((await ca.get(pv)).value);
}

/** Documents of the run started after `from` (an index into docs), once its stop document is in. */
async function runDocs(from: number): Promise<Array<{ name: string; doc: Record<string, unknown> }>> {
  await until('stop document', () => docs.slice(from).some((d) => d.name === 'stop'));
  return docs.slice(from);
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'epics-serve-'));
  file = join(dir, 'beamline.yaml');
  writeFileSync(file, CONFIG);
  ioc = await startIocChild();
  serve = await startServe(['--port', '0', '--no-data', '--devices', file, '--log-level', 'info'], { env: { ...process.env, ...ioc.env } });
  ca = new CaClient({ addrList: [{ host: '127.0.0.1', port: ioc.port }], autoAddrList: false, serverPort: ioc.port, repeaterPort: ioc.repeaterPort });
  v2 = new DispatcherClient(serve.v2);
  v2.on('document', (e) => docs.push(e.data));
  v2.on('state', (e) => states.push(e.data.new));
  await v2.subscribe(['document', 'state']);
});

after(async () => {
  v2?.close();
  ca?.close();
  await serve?.child.stop('SIGTERM');
  await ioc?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('serve --devices with the test IOC', { timeout: 180_000 }, () => {
  test('the devices that connected are served beside the simulated ones; the one that did not is named', async () => {
    await serve.child.waitFor(/device ghost not connected, skipped: NOPE:missing: not connected/, 'warning about ghost', 10_000, 'err');
    const { devices } = await v2.request('devices');
    const names = devices.map((d) => d.name);
    assert.ok(names.includes('m1') && names.includes('epics_det') && names.includes('motor') && names.includes('det'), names.join(', '));
    assert.ok(!names.includes('ghost'));
    const m1 = devices.find((d) => d.name === 'm1');
    assert.deepEqual([m1?.kind, m1?.movable], ['EpicsMotor', true]);
  });

  test('scan(epics_det, m1, -1, 1, 5): readbacks equal set points, det peaks at 0, every document valid', async () => {
    const from = docs.length;
    await v2.request('start', { plan: 'scan', params: { detectors: ['epics_det'], args: ['m1', -1, 1], num: 5 } });
    const run = await runDocs(from);
    for (const { name, doc } of run) assert.deepEqual(documentErrors(name as DocumentName, doc), [], `${name} document valid`);
    const events = run.filter((d) => d.name === 'event').map((d) => d.doc.data as Record<string, number>);
    assert.deepEqual(events.map((e) => e.m1), [-1, -0.5, 0, 0.5, 1]);
    assert.deepEqual(events.map((e) => e.m1_user_setpoint), [-1, -0.5, 0, 0.5, 1]);
    for (const e of events) assert.ok(Math.abs((e.epics_det as number) - simDetValue(e.m1 as number)) < 1e-12);
    const desc = run.find((d) => d.name === 'descriptor')?.doc as { data_keys: Record<string, Record<string, unknown>> };
    assert.deepEqual([desc.data_keys.m1?.source, desc.data_keys.m1?.units, desc.data_keys.epics_det?.source], ['PV:SIM:m1.RBV', 'mm', 'PV:SIM:det']);
    assert.equal(run.at(-1)?.doc.exit_status, 'success');
  });

  test('pause mid-move stops the motor, resume completes the scan', async () => {
    await ca.put('SIM:m1.VELO', 1, { wait: true });
    const from = docs.length;
    const fromState = states.length;
    await v2.request('start', { plan: 'scan', params: { detectors: ['epics_det'], args: ['m1', 0, 2], num: 2 } });
    await until('m1 moving towards 2', async () => (await num('SIM:m1.RBV')) > 0.3);
    await v2.request('pause', {});
    await until('paused', () => states.slice(fromState).includes('paused'));
    await until('the motor stopped (DMOV 1)', async () => (await num('SIM:m1.DMOV')) === 1, 5_000);
    const at = await num('SIM:m1.RBV');
    assert.ok(at > 0.3 && at < 2, `stopped at ${at}`);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(await num('SIM:m1.RBV'), at, 'and stays put while paused');
    await ca.put('SIM:m1.VELO', 5, { wait: true });
    await v2.request('resume', {});
    const run = await runDocs(from);
    const events = run.filter((d) => d.name === 'event').map((d) => d.doc.data as Record<string, number>);
    assert.deepEqual(events.map((e) => e.m1).slice(-2), [0, 2]);
    assert.equal(run.at(-1)?.doc.exit_status, 'success');
    for (const { name, doc } of run) assert.deepEqual(documentErrors(name as DocumentName, doc), [], `${name} document valid`);
    await ca.put('SIM:m1', 0, { wait: true });
  });

  test('abort mid-move stops the motor and the run ends as aborted', async () => {
    await ca.put('SIM:m1', 0, { wait: true });
    await ca.put('SIM:m1.VELO', 1, { wait: true });
    try {
      const from = docs.length;
      await v2.request('start', { plan: 'scan', params: { detectors: ['epics_det'], args: ['m1', 2, 5], num: 2 } });
      await until('m1 on its way to 2', async () => (await num('SIM:m1.RBV')) > 0.3);
      await v2.request('abort', { reason: 'beam dump' });
      const run = await runDocs(from);
      assert.deepEqual([run.at(-1)?.doc.exit_status, run.at(-1)?.doc.reason], ['abort', 'beam dump']);
      await until('the motor stopped (DMOV 1)', async () => (await num('SIM:m1.DMOV')) === 1, 5_000);
      assert.ok((await num('SIM:m1.RBV')) < 2, 'stopped before the first point');
    } finally {
      await ca.put('SIM:m1.VELO', 5, { wait: true });
      await ca.put('SIM:m1', 0, { wait: true });
    }
  });

  test('--require-devices refuses to start without every device, naming the missing one', async () => {
    const r = await runCli(['serve', '--port', '0', '--no-data', '--devices', file, '--require-devices'], { env: { ...process.env, ...ioc.env }, deadlineMs: 60_000 });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /ghost \(NOPE:missing: not connected after 1 s.*\(EPICS_DEVICES_UNAVAILABLE\)/);
  });

  test('sim-ioc on a port that is taken: one line naming it, exit 2', async () => {
    const r = await runCli(['sim-ioc', '--port', String(ioc.port), '--host', '127.0.0.1', '--no-repeater'], { deadlineMs: 60_000 });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, new RegExp(`cannot bind the CA search port udp 127\\.0\\.0\\.1:${ioc.port}.*\\(EPICS_LISTEN_FAILED\\)`));
  });

  test('a bad device file: one line naming the key, exit 2', async () => {
    const badFile = join(dir, 'bad.yaml');
    writeFileSync(badFile, 'devices:\n  m1: {class: EpicsMotr, prefix: "SIM:m1"}\n');
    const r = await runCli(['serve', '--port', '0', '--no-data', '--devices', badFile], { env: { ...process.env, ...ioc.env }, deadlineMs: 60_000 });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /bad\.yaml: devices\.m1\.class: unknown class "EpicsMotr" \(did you mean EpicsMotor\?\).*\(EPICS_CONFIG_INVALID\)/);
  });
});
