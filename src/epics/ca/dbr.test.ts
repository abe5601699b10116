/**
 * The CA codec on its own: DBR sizes against EPICS's `dbr_size` table, round trips of
 * every type and form, conversions, headers (short and extended) and stream framing.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BASE_TYPES, convertValues, dbrInfo, dbrSize, dbrType, encodeDbrMessage, FORMS, readDbr, writeDbr, dbrWireSize, type BaseType, type DbrData } from './dbr.js';
import { Cmd, encodeMessage, MessageReader, parseMessages, type CaMessage } from './proto.js';

// dbr_size[] of EPICS base's db_access.c, by DBR type number 0..34 (sizeof each C struct).
const EPICS_DBR_SIZE = [
  40, 2, 4, 2, 1, 4, 8,
  44, 6, 8, 6, 6, 8, 16,
  52, 16, 16, 16, 16, 16, 24,
  44, 26, 44, 424, 20, 40, 72,
  44, 30, 52, 424, 22, 48, 88,
];

const SAMPLE: Record<BaseType, Array<number | string>> = {
  string: ['hello', 'world', ''], short: [-7, 0, 32767], float: [1.5, -2.25, 0], enum: [1, 0, 3],
  char: [98, 0, 255], long: [-2147483648, 42, 2147483647], double: [Math.PI, -1e-300, 1e300],
};

describe('DBR layouts', () => {
  test('the size of every type with one element is sizeof() of the C struct', () => {
    for (let type = 0; type <= 34; type++) {
      const info = dbrInfo(type);
      assert.ok(info !== null);
      assert.equal(dbrSize(info, 1), EPICS_DBR_SIZE[type], `DBR type ${type} (${info.form} ${info.base})`);
    }
    assert.equal(dbrInfo(35), null);
  });

  test('every type and form round-trips values and metadata, arrays too', () => {
    for (const base of BASE_TYPES) {
      for (const form of FORMS) {
        const info = dbrInfo(dbrType(base, form));
        assert.ok(info !== null);
        const data: DbrData = {
          value: SAMPLE[base] as number[] | string[], status: 4, severity: 1, timestamp: 1700000000.25,
          units: 'mm', precision: 3, enumStrings: ['Off', 'On', 'Auto', 'Manual'],
          limits: { upperDisp: 10, lowerDisp: -10, upperAlarm: 9, upperWarning: 8, lowerWarning: -8, lowerAlarm: -9, upperCtrl: 7, lowerCtrl: -7 },
        };
        const buf = Buffer.alloc(dbrWireSize(info, 3));
        assert.equal(buf.length % 8, 0);
        writeDbr(buf, 0, info, 3, data);
        const back = readDbr(buf, info, 3);
        const expected = base === 'float' ? (SAMPLE.float as number[]).map((v) => Math.fround(v)) : SAMPLE[base];
        assert.deepEqual(back.value, expected, `${form} ${base}`);
        if (form !== 'plain') assert.deepEqual([back.status, back.severity], [4, 1]);
        if (form === 'time') assert.ok(Math.abs((back.timestamp ?? 0) - 1700000000.25) < 1e-6);
        if ((form === 'gr' || form === 'ctrl') && base === 'enum') assert.deepEqual(back.enumStrings, ['Off', 'On', 'Auto', 'Manual']);
        if ((form === 'gr' || form === 'ctrl') && base !== 'enum' && base !== 'string') {
          assert.equal(back.units, 'mm');
          assert.equal(back.limits?.upperAlarm, 9);
          assert.equal(back.limits?.upperCtrl, form === 'ctrl' ? 7 : 0);
          assert.equal(back.precision, base === 'double' || base === 'float' ? 3 : undefined);
        }
      }
    }
  });

  test('a single STRING sent short (as rsrv trims it) still decodes', () => {
    const info = dbrInfo(dbrType('string', 'time'));
    assert.ok(info !== null);
    const buf = Buffer.alloc(12 + 6);
    buf.write('abcde', 12);
    assert.deepEqual(readDbr(buf, info, 1).value, ['abcde']);
  });
});

describe('conversions', () => {
  test('numbers format with the precision, enums become their names, strings parse', () => {
    assert.deepEqual(convertValues([1.23456], 'double', 'string', { precision: 3 }), ['1.235']);
    assert.deepEqual(convertValues([1], 'enum', 'string', { enumStrings: ['Off', 'On'] }), ['On']);
    assert.deepEqual(convertValues(['On'], 'string', 'enum', { enumStrings: ['Off', 'On'] }), [1]);
    assert.deepEqual(convertValues([' 2.5 '], 'string', 'double'), [2.5]);
    assert.throws(() => convertValues(['abc'], 'string', 'double'), { code: 'EPICS_BAD_VALUE' });
  });
});

describe('framing', () => {
  test('a large array uses the extended header and survives any chunking', () => {
    const info = dbrInfo(dbrType('double', 'time'));
    assert.ok(info !== null);
    const values = Array.from({ length: 20000 }, (_, i) => i * 0.5);
    const big = encodeDbrMessage(Cmd.EVENT_ADD, info, values.length, { value: values, timestamp: 1 }, 1, 7);
    assert.equal(big.readUInt16BE(2), 0xffff);
    const small = encodeMessage(Cmd.ECHO, 0, 0, 0, 0);
    const stream = Buffer.concat([small, big, small]);
    for (const step of [1, 7, 16, 100, 4096, stream.length]) {
      const got: CaMessage[] = [];
      const reader = new MessageReader((m) => got.push({ ...m, payload: Buffer.from(m.payload) }));
      for (let at = 0; at < stream.length; at += step) reader.push(stream.subarray(at, at + step));
      assert.deepEqual(got.map((m) => m.command), [Cmd.ECHO, Cmd.EVENT_ADD, Cmd.ECHO], `chunks of ${step}`);
      const m = got[1] as CaMessage;
      assert.equal(m.dataCount, 20000);
      assert.deepEqual(readDbr(m.payload, info, m.dataCount).value.slice(0, 3), [0, 0.5, 1]);
      assert.equal(reader.pending, 0);
    }
  });

  test('parseMessages stops at a partial message', () => {
    const two = Buffer.concat([encodeMessage(Cmd.ECHO, 0, 0, 0, 0), encodeMessage(Cmd.ECHO, 0, 0, 0, 0)]);
    let n = 0;
    assert.equal(parseMessages(two.subarray(0, 20), 0, () => { n++; }), 16);
    assert.equal(n, 1);
  });
});
