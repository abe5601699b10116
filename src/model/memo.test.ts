import assert from 'node:assert/strict';
import { test } from 'node:test';
import { keepMemo, memoOf, takeMemo } from './memo.js';

test('a memo is kept on the object, invisible to JSON, structuredClone and deepEqual', () => {
  const key = Symbol('k');
  const e = { seq: 1, data: { a: 1 } };
  assert.equal(memoOf(e, key), undefined);
  keepMemo(e, key, 'text');
  keepMemo(e, key, 'again'); // replaceable
  assert.equal(memoOf<string>(e, key), 'again');
  assert.equal(JSON.stringify(e), '{"seq":1,"data":{"a":1}}');
  assert.deepStrictEqual(e, { seq: 1, data: { a: 1 } });
  assert.equal(memoOf(structuredClone(e), key), undefined);
});

test('a taken memo is let go: the first reader gets it, later ones nothing, and the object stays as it was', () => {
  const key = Symbol('k');
  const e = { seq: 1 };
  keepMemo(e, key, 'text');
  assert.equal(takeMemo<string>(e, key), 'text');
  assert.equal(takeMemo(e, key), undefined);
  assert.equal(memoOf(e, key), undefined);
  assert.deepStrictEqual(e, { seq: 1 });
  assert.equal(takeMemo({ seq: 2 }, key), undefined);
});

test('a frozen object keeps nothing (readers compute again)', () => {
  const key = Symbol('k');
  const e = Object.freeze({ seq: 1 });
  keepMemo(e, key, 'text');
  assert.equal(memoOf(e, key), undefined);
});
