/**
 * A database that did not answer becomes StoreError STORE_UNAVAILABLE where the
 * store meets its driver (src/store/unavailable.ts): PostgreSQL's and the
 * network's codes, node-postgres's code-less words, SQLite's busy and I/O codes;
 * anything else is thrown as it was. The message stays the driver's, and a
 * "… : cause" text still names the driver's code.
 * @module
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CodedError } from '../../src/model/errors.js';
import { StoreError, unavailableOr, withDatabase } from '../../src/store/index.js';
import { causeText } from '../../src/store/errors.js';

function driverError(message: string, code?: string): Error {
  return code === undefined ? new Error(message) : Object.assign(new Error(message), { code });
}

describe('unavailableOr', () => {
  for (const [message, code] of [
    ['connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED'],
    ['terminating connection due to administrator command', '57P01'],
    ['the database system is starting up', '57P03'],
    ['too many connections for role "x"', '53300'],
    ['connection failure', '08006'],
    ['database is locked', 'SQLITE_BUSY'],
    ['disk I/O error', 'SQLITE_IOERR_WRITE'],
    ['database or disk is full', 'SQLITE_FULL'],
    ['Connection terminated unexpectedly', undefined],
    ['timeout exceeded when trying to connect', undefined],
    ['Client has encountered a connection error and is not queryable', undefined],
  ] as const) {
    it(`${code ?? 'no code'}: ${message} is STORE_UNAVAILABLE, message and cause kept`, () => {
      const raw = driverError(message, code);
      const e = unavailableOr(raw);
      assert.ok(e instanceof StoreError);
      assert.equal(e.code, 'STORE_UNAVAILABLE');
      assert.equal(e.message, message);
      assert.equal(e.cause, raw);
      assert.equal(causeText(e), causeText(raw), 'a cause text names the driver\'s code, not ours');
    });
  }

  it('a failure that is not the database\'s absence is thrown as it was', () => {
    for (const raw of [driverError('duplicate key value violates unique constraint', '23505'), driverError('UNIQUE constraint failed', 'SQLITE_CONSTRAINT_UNIQUE'),
      new TypeError('x is undefined'), new CodedError('HOST_UNRESPONSIVE', 'Connection terminated'), 'a string']) {
      assert.equal(unavailableOr(raw), raw);
    }
  });

  it('a message of the wrapper\'s own names the database', () => {
    const e = unavailableOr(driverError('Connection terminated unexpectedly'), 'cannot query postgres://db: Connection terminated unexpectedly');
    assert.equal((e as Error).message, 'cannot query postgres://db: Connection terminated unexpectedly');
  });
});

describe('withDatabase', () => {
  it('wraps a synchronous throw (better-sqlite3) and a rejection (node-postgres) alike; passes results and other errors through', async () => {
    await assert.rejects(withDatabase(() => { throw driverError('database is locked', 'SQLITE_BUSY'); }), { code: 'STORE_UNAVAILABLE', message: 'database is locked' });
    await assert.rejects(withDatabase(() => Promise.reject(driverError('connect ECONNREFUSED 127.0.0.1:1', 'ECONNREFUSED'))), { code: 'STORE_UNAVAILABLE' });
    await assert.rejects(withDatabase(() => { throw new RangeError('bug'); }), RangeError);
    assert.equal(await withDatabase(() => 7), 7);
    assert.equal(await withDatabase(() => Promise.resolve('x')), 'x');
  });
});
