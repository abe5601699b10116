/**
 * The memory key store (the SQLite and PostgreSQL ones pass the KeyStore
 * contract, test/services/contracts.ts) and `keys create` from the command
 * line (the key is the last line; only its hash is stored).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { MemoryKeyStore, hashKey } from '../../src/auth/index.js';
import { DB_FILE } from '../../src/store/index.js';
import { TempDirs } from '../store/tmp.js';

const dirs = new TempDirs();
after(() => { dirs.cleanup(); });
const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

describe('memory key store', () => {
  it('creates, finds by hash, lists, refuses a taken or bad name, revokes', async () => {
    const s = new MemoryKeyStore();
    const { key, record } = await s.create('alice', ['read', 'control']);
    assert.match(key, /^bsk_[A-Za-z0-9_-]{43}$/);
    assert.deepEqual(record.scopes, ['read', 'control']);
    assert.equal((await s.find(hashKey(key)))?.name, 'alice');
    assert.equal(await s.find(hashKey(`${key}x`)), undefined);
    await assert.rejects(s.create('alice', ['read']), /exists/);
    await assert.rejects(s.create('bad name!', ['read']), /key name/);
    assert.deepEqual((await s.list()).map((k) => k.name), ['alice']);
    assert.equal(await s.revoke('alice'), true);
    assert.equal(await s.revoke('alice'), false);
    assert.equal(await s.find(hashKey(key)), undefined);
    // The name is free again once revoked.
    await s.create('alice', ['read']);
    await s.close();
  });
});

describe('keys create (CLI)', { timeout: 120_000 }, () => {
  it('prints the key as its last line; the database holds only its hash', () => {
    const dir = dirs.make();
    const r = spawnSync(process.execPath, ['--import', 'tsx', MAIN, 'keys', 'create', 'ci', '--scopes', 'read,control', '--data', dir], { encoding: 'utf8', timeout: 90_000 });
    assert.equal(r.status, 0, r.stderr);
    const key = r.stdout.trim().split('\n').at(-1) ?? '';
    assert.match(key, /^bsk_/);
    const db = readFileSync(join(dir, DB_FILE));
    assert.ok(!db.includes(Buffer.from(key)), 'the key itself is not stored');
    assert.ok(db.includes(Buffer.from(hashKey(key))), 'its hash is');
    const bad = spawnSync(process.execPath, ['--import', 'tsx', MAIN, 'keys', 'create', 'x', '--scopes', 'root', '--data', dir], { encoding: 'utf8', timeout: 90_000 });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /root/);
  });
});
