/** A document crosses the thread boundary as one string (wire.ts): every name comes back out with its JSON intact. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DOCUMENT_NAMES } from '../model/documents.js';
import { packDocument, unpackDocument } from './wire.js';

describe('packDocument / unpackDocument', () => {
  it('give back every document name and its JSON, braces and all inside the JSON', () => {
    const json = JSON.stringify({ uid: 'u', data: { '{odd}': '}{' }, note: 'a { b' });
    for (const name of DOCUMENT_NAMES) assert.deepEqual(unpackDocument(packDocument(name, json)), { name, json });
  });
});
