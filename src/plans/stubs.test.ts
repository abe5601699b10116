/**
 * Plan stubs: bluesky test_new_examples.py `test_stub_plans` (exact Msg of
 * every stub), `test_trigger_and_read`, mvr/rd/stage/repeat behaviour.
 * @module
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Clock } from '../model/clock.js';
import { GeneratorExit, PlanArgumentError, PlanHalt, ProtocolError } from '../model/errors.js';
import { type Msg, type Plan, msg } from '../model/msg.js';
import type { Flyable, Locatable } from '../model/protocols.js';
import { completedStatus } from '../model/status.js';
import { FakeDetector, FakeMotor, LocatableMotor, NewStyleDevice, PlainMotor, defaultReply, drive, listify } from './fixtures.test.js';
import {
  absSet, broadcastMsg, checkpoint, clearCheckpoint, closeRun, collect, collectWhileCompleting, configure,
  create, deferredPause, drop, installSuspender, kickoff, kickoffAll, locate, monitor, mv, mvr, nullMsg, openRun, pause, rd,
  read, relSet, removeSuspender, repeat, repeater, save, sleep, stage, stageAll, stop, subscribe, trigger, triggerAndRead,
  unmonitor, unstage, unstageAll, unsubscribe, wait, waitFor,
} from './index.js';

const det = new FakeDetector('det');
const foo = { name: 'foo', parent: null, kickoff: () => completedStatus(), complete: () => completedStatus(), stop: () => undefined, locate: () => ({ setpoint: 0, readback: 0 }), set: () => completedStatus(), read: () => ({}), describe: () => ({}) };
const motor1 = new FakeMotor('motor1');
const motor2 = new FakeMotor('motor2');
const movableDet = new PlainMotor('det');
const cb = (): void => undefined;
const fut1 = (): Promise<void> => Promise.resolve();
const fut2 = (): Promise<void> => Promise.resolve();

const STUB_CASES: ReadonlyArray<readonly [string, () => Plan<unknown>, readonly Msg[]]> = [
  ['create()', () => create(), [msg('create', null, [], { name: 'primary' })]],
  ['create(custom_name)', () => create('custom_name'), [msg('create', null, [], { name: 'custom_name' })]],
  ['save()', () => save(), [msg('save')]],
  ['drop()', () => drop(), [msg('drop')]],
  ['read(det)', () => read(det), [msg('read', det)]],
  ['locate()', () => locate([]), [msg('locate', null, [], { squeeze: true })]],
  ['locate(foo, squeeze=False)', () => locate(foo, { squeeze: false }), [msg('locate', foo, [], { squeeze: false })]],
  ['monitor(foo)', () => monitor(foo), [msg('monitor', foo, [], { name: null })]],
  ['monitor(foo, name=c)', () => monitor(foo, { name: 'c' }), [msg('monitor', foo, [], { name: 'c' })]],
  ['unmonitor(foo)', () => unmonitor(foo), [msg('unmonitor', foo)]],
  ['null()', () => nullMsg(), [msg('null')]],
  ['stop(foo)', () => stop(foo), [msg('stop', foo)]],
  ['abs_set(det, 5)', () => absSet(movableDet, 5), [msg('set', movableDet, [5], { group: null })]],
  ['abs_set(det, 5, group=A)', () => absSet(movableDet, 5, { group: 'A' }), [msg('set', movableDet, [5], { group: 'A' })]],
  ['abs_set(det, 5, group=A, wait=True)', () => absSet(movableDet, 5, { group: 'A', wait: true }), [msg('set', movableDet, [5], { group: 'A' }), msg('wait', null, [], { group: 'A' })]],
  ['rel_set(det, 5)', () => relSet(movableDet, 5), [msg('read', movableDet), msg('set', movableDet, [5], { group: null })]],
  ['rel_set(det, 5, group=A)', () => relSet(movableDet, 5, { group: 'A' }), [msg('read', movableDet), msg('set', movableDet, [5], { group: 'A' })]],
  ['rel_set(det, 5, group=A, wait=True)', () => relSet(movableDet, 5, { group: 'A', wait: true }), [msg('read', movableDet), msg('set', movableDet, [5], { group: 'A' }), msg('wait', null, [], { group: 'A' })]],
  ['mv(motor1, 1, motor2, 2, group=A)', () => mv(motor1, 1, motor2, 2, { group: 'A' }), [msg('set', motor1, [1], { group: 'A' }), msg('set', motor2, [2], { group: 'A' }), msg('wait', null, [], { group: 'A', timeout: null })]],
  ['mv(..., group=A, timeout=42)', () => mv(motor1, 1, motor2, 2, { group: 'A', timeout: 42 }), [msg('set', motor1, [1], { group: 'A' }), msg('set', motor2, [2], { group: 'A' }), msg('wait', null, [], { group: 'A', timeout: 42 })]],
  ['trigger(det)', () => trigger(det), [msg('trigger', det, [], { group: null })]],
  ['trigger(det, group=A)', () => trigger(det, { group: 'A' }), [msg('trigger', det, [], { group: 'A' })]],
  ['sleep(2)', () => sleep(2), [msg('sleep', null, [2])]],
  ['wait()', () => wait(), [msg('wait', null, [], { group: null, error_on_timeout: true, timeout: null, watch: [] })]],
  ['wait(A)', () => wait('A'), [msg('wait', null, [], { group: 'A', error_on_timeout: true, timeout: null, watch: [] })]],
  ['checkpoint()', () => checkpoint(), [msg('checkpoint')]],
  ['clear_checkpoint()', () => clearCheckpoint(), [msg('clear_checkpoint')]],
  ['pause()', () => pause(), [msg('pause', null, [], { defer: false })]],
  ['deferred_pause()', () => deferredPause(), [msg('pause', null, [], { defer: true })]],
  ['kickoff(foo)', () => kickoff(foo), [msg('kickoff', foo, [], { group: null })]],
  ['kickoff(foo, custom=5)', () => kickoff(foo, { custom: 5 }), [msg('kickoff', foo, [], { group: null, custom: 5 })]],
  ['collect(foo)', () => collect(foo), [msg('collect', foo, [], { stream: false, return_payload: true, name: null })]],
  ['configure(det, 1, a=2)', () => configure(det, [1], { a: 2 }), [msg('configure', det, [1], { a: 2 })]],
  ['stage(det)', () => stage(det), [msg('stage', det, [], { group: null })]],
  ['stage(det, group=A)', () => stage(det, { group: 'A' }), [msg('stage', det, [], { group: 'A' })]],
  ['unstage(det)', () => unstage(det), [msg('unstage', det, [], { group: null })]],
  ['unstage(det, group=A)', () => unstage(det, { group: 'A' }), [msg('unstage', det, [], { group: 'A' })]],
  ['subscribe(all, func)', () => subscribe('all', cb), [msg('subscribe', null, [cb, 'all'])]],
  ['unsubscribe(1)', () => unsubscribe(1), [msg('unsubscribe', null, [], { token: 1 })]],
  ['install_suspender(1)', () => installSuspender(1), [msg('install_suspender', null, [1])]],
  ['remove_suspender(1)', () => removeSuspender(1), [msg('remove_suspender', null, [1])]],
  ['open_run()', () => openRun(), [msg('open_run')]],
  ['open_run(md={a: 1})', () => openRun({ a: 1 }), [msg('open_run', null, [], { a: 1 })]],
  ['close_run()', () => closeRun(), [msg('close_run', null, [], { exit_status: null, reason: null })]],
  ['wait_for([fut1, fut2])', () => waitFor([fut1, fut2]), [msg('wait_for', null, [[fut1, fut2]])]],
];

describe('test_stub_plans', () => {
  for (const [name, make, expected] of STUB_CASES) {
    it(name, () => assert.deepEqual(listify(make()), expected));
  }
});

const stripGroup = (msgs: readonly Msg[]): Msg[] => msgs.map((m) => {
  const { group: _g, timeout: _t, ...kwargs } = m.kwargs;
  return { ...m, kwargs };
});

describe('trigger_and_read', () => {
  it('triggers, waits, creates, reads and saves (test_trigger_and_read)', () => {
    for (const name of ['primary', 'custom']) {
      assert.deepEqual(stripGroup(listify(triggerAndRead([det], name))), [
        msg('trigger', det), msg('wait', null, [], { error_on_timeout: true, watch: [] }), msg('create', null, [], { name }),
        msg('read', det), msg('save'),
      ]);
    }
  });
  it('uses one trigger-<6hex> group with the full wait kwargs', () => {
    const msgs = listify(triggerAndRead([det, motor1]));
    const group = msgs[0]?.kwargs['group'];
    assert.match(String(group), /^trigger-[0-9a-f]{6}$/);
    assert.deepEqual(msgs[2]?.kwargs, { group, error_on_timeout: true, timeout: null, watch: [] });
  });
  it('with no devices yields null, create and save', () => {
    assert.deepEqual(listify(triggerAndRead([])).map((m) => m.command), ['null', 'create', 'save']);
  });
  it('skips devices whose parent is listed and devices that cannot trigger', () => {
    const child = new FakeDetector('det_child', { parent: det });
    const plain = new PlainMotor('plain');
    assert.deepEqual(listify(triggerAndRead([det, child, plain])).map((m) => `${m.command}:${(m.obj as { name?: string } | null)?.name ?? ''}`), [
      'trigger:det', 'wait:', 'create:', 'read:det', 'read:plain', 'save:',
    ]);
  });
  it('returns the merged readings', () => {
    const { result } = drive(triggerAndRead([det, motor1]));
    assert.deepEqual(Object.keys(result), ['det', 'motor1', 'motor1_setpoint']);
  });
  it('drops the bundle and re-raises when a read fails', () => {
    const msgs: Msg[] = [];
    const boom = new Error('read failed');
    assert.throws(() => drive(triggerAndRead([det]), (m) => { if (m.command === 'read') throw boom; return defaultReply(m); }, msgs), (e) => e === boom);
    assert.deepEqual(msgs.map((m) => m.command), ['trigger', 'wait', 'create', 'read', 'drop']);
  });
  it('a halt (or a close) during a read leaves at once: no drop, as contingency_wrapper skips GeneratorExit', () => {
    for (const stopper of [new PlanHalt(), new GeneratorExit('closed')]) {
      const msgs: Msg[] = [];
      assert.throws(() => drive(triggerAndRead([det]), (m) => { if (m.command === 'read') throw stopper; return defaultReply(m); }, msgs), (e) => e === stopper);
      assert.deepEqual(msgs.map((m) => m.command), ['trigger', 'wait', 'create', 'read'], stopper.name);
    }
  });
  it('wraps non-rewindable devices in rewindable(False) and restores it (test_nonrewindable_detector)', () => {
    const nonRewindable = Object.assign(new FakeDetector('nr'), { rewindable: { get: () => false } });
    const { msgs } = drive(triggerAndRead([nonRewindable]));
    assert.deepEqual(msgs.map((m) => [m.command, m.args]), [
      ['rewindable', [null]], ['rewindable', [false]], ['trigger', []], ['wait', []], ['create', []], ['read', []], ['save', []], ['rewindable', [true]],
    ]);
  });
});

describe('moves and reads', () => {
  it('mv defaults the group to a uuid4 shared by all sets', () => {
    const msgs = listify(mv(motor1, 1, motor2, 2));
    const group = String(msgs[0]?.kwargs['group']);
    assert.match(group, /^[0-9a-f-]{36}$/);
    assert.deepEqual(msgs.map((m) => m.kwargs['group']), [group, group, group]);
  });
  it('mv rejects an odd argument count', () => {
    assert.throws(() => listify(mv(motor1, 1, motor2)), PlanArgumentError);
  });
  it('mvr moves relative to the current positions (test_mvr)', () => {
    const a = new FakeMotor('a', 10);
    const b = new FakeMotor('b', 10);
    const { msgs } = drive(mvr(a, 1, b, 2, { timeout: 42 }));
    assert.deepEqual(msgs.map((m) => [m.command, m.args]), [['set', [11]], ['set', [12]], ['wait', []]]);
    assert.equal(msgs[2]?.kwargs['timeout'], 42);
  });
  it('mvr locates a Locatable first and uses its setpoint (test_mvr_with_location)', () => {
    const m = new LocatableMotor('Almost', 10);
    const first = drive(mvr(m, 1)).msgs;
    const second = drive(mvr(m, 2)).msgs;
    assert.deepEqual([...first, ...second].map((x) => x.command), ['locate', 'set', 'wait', 'locate', 'set', 'wait']);
    assert.deepEqual(first[1]?.args, [11]);
    assert.deepEqual(second[1]?.args, [13]);
  });
  it('rd returns a Locatable readback, a hinted field, or the default when list-ified', () => {
    assert.equal(drive(rd(new LocatableMotor('j', 1.0))).result, 1.1);
    assert.equal(drive(rd(det)).result, 1);
    assert.equal(drive(rd(det, { defaultValue: 42 }), () => undefined).result, 42);
    const twoHints = Object.assign(new FakeDetector('two'), { hints: { fields: ['a', 'b'] } });
    assert.throws(() => listify(rd(twoHints)), PlanArgumentError);
  });
});

describe('stage and flyers', () => {
  it('old-style stage cannot be told not to wait; new-style waits on request', () => {
    assert.throws(() => drive(stage(det, { wait: false })), PlanArgumentError);
    assert.throws(() => drive(unstage(det, { wait: false })), PlanArgumentError);
    const dev = new NewStyleDevice('n1');
    assert.deepEqual(drive(stage(dev, { group: 'g', wait: true })).msgs.map((m) => m.command), ['stage', 'wait']);
  });
  it('stage_all waits once at the end only if a device returned a Status', () => {
    assert.deepEqual(drive(stageAll([det, new FakeDetector('d2')])).msgs.map((m) => m.command), ['stage', 'stage']);
    const msgs = drive(stageAll([det, new NewStyleDevice('n1'), new NewStyleDevice('n2')])).msgs;
    assert.deepEqual(msgs.map((m) => m.command), ['stage', 'stage', 'stage', 'wait']);
    assert.equal(new Set(msgs.map((m) => m.kwargs['group'])).size, 1);
    assert.deepEqual(drive(unstageAll([new NewStyleDevice('n1')])).msgs.map((m) => m.command), ['unstage', 'wait']);
  });
  it('kickoff_all waits by default; non-flyers are refused', () => {
    const f2 = { ...foo, name: 'f2' };
    const msgs = listify(kickoffAll([foo, f2]));
    assert.deepEqual(msgs.map((m) => m.command), ['kickoff', 'kickoff', 'wait']);
    assert.deepEqual(Object.keys(msgs[2]?.kwargs ?? {}), ['group', 'error_on_timeout', 'timeout', 'watch']);
    assert.throws(() => listify(kickoffAll([det as unknown as Flyable])), ProtocolError);
  });
  it('collect_while_completing collects until the wait reports done', () => {
    let waits = 0;
    const { msgs } = drive(collectWhileCompleting([foo], [foo], { flushPeriod: 0.5 }), (m) => (m.command === 'wait' ? ++waits >= 2 : defaultReply(m)));
    assert.deepEqual(msgs.map((m) => m.command), ['complete', 'wait', 'collect', 'wait', 'collect']);
    assert.deepEqual(msgs[1]?.kwargs['error_on_timeout'], false);
  });
  it('broadcast_msg sends one message per object and returns the replies', () => {
    const { msgs, result } = drive(broadcastMsg('trigger', [det, motor1], [], { group: 'g' }));
    assert.deepEqual(msgs.map((m) => (m.obj as { name: string }).name), ['det', 'motor1']);
    assert.equal(result.length, 2);
  });
  it('locate of one Locatable is squeezed by default', () => {
    const l: Locatable = new LocatableMotor('l');
    assert.deepEqual(listify(locate(l)), [msg('locate', l, [], { squeeze: true })]);
  });
});

function* numbers(...xs: number[]): Plan<void> {
  for (const x of xs) yield msg('null', null, [x]);
}

describe('repeater and repeat', () => {
  it('repeater chains n copies; null repeats forever (test_repeater)', () => {
    assert.deepEqual(listify(repeater(3, numbers, 1, 2, 3)).map((m) => m.args[0]), [1, 2, 3, 1, 2, 3, 1, 2, 3]);
    const p = repeater(null, numbers, 1, 2, 3);
    assert.deepEqual([p.next(), p.next(), p.next(), p.next()].map((r) => (r.value as Msg).args[0]), [1, 2, 3, 1]);
  });
  it('repeat adds a checkpoint per iteration (test_repeat)', () => {
    assert.deepEqual(listify(repeat(() => numbers(1, 2, 3), { num: 3 })).map((m) => m.command === 'checkpoint' ? 'c' : m.args[0]), ['c', 1, 2, 3, 'c', 1, 2, 3, 'c', 1, 2, 3]);
  });
  it('repeat sleeps for what is left of the delay, after every iteration', () => {
    let t = 0;
    const clock: Clock = { now: () => (t += 0.25), sleep: () => Promise.resolve(), yieldToLoop: () => Promise.resolve(), uuid: () => 'u' };
    const sleeps = listify(repeat(() => numbers(1), { num: 2, delay: 1, clock })).filter((m) => m.command === 'sleep').map((m) => m.args[0]);
    assert.deepEqual(sleeps, [0.75, 0.75]);
    assert.deepEqual(listify(repeat(() => numbers(1), { num: 2, delay: 0.1, clock })).filter((m) => m.command === 'sleep'), []);
  });
  it('an iterable delay must provide num - 1 entries (test_count_delay_argument)', () => {
    function* delays(): Generator<number> { for (let i = 0; i < 5; i++) yield 2 ** i; }
    const reads = (num: number | null): number => listify(repeat(() => numbers(1), { num, delay: delays() })).filter((m) => m.command === 'null').length;
    assert.throws(() => reads(7), PlanArgumentError);
    assert.equal(reads(6), 6);
    assert.equal(reads(5), 5);
    assert.equal(reads(4), 4);
    assert.equal(reads(null), 6);
    assert.throws(() => listify(repeat(() => numbers(1), { num: 7, delay: [1, 2] })), PlanArgumentError);
  });
});
