/**
 * Our websocket frames are byte for byte what `ws` writes for a text message,
 * at every header size (7-bit, 16-bit and 64-bit lengths), and a burst of them
 * in one buffer is read back by ws's own client-side parser as separate
 * messages, in order.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as ws from 'ws';
import { textFrame, textFrames } from './ws-frame.js';

// ws's own framer and parser: exported by the package, absent from @types/ws, so typed here as far as this test uses them.
interface WsReceiver {
  on(event: 'message', fn: (data: Buffer, isBinary: boolean) => void): void;
  write(chunk: Buffer, done: (e?: Error | null) => void): void;
}
const { Receiver, Sender } = ws as unknown as {
  Sender: { frame(data: Buffer, options: { fin: boolean; opcode: number; mask: boolean; readOnly: boolean; rsv1: boolean }): Buffer[] };
  Receiver: new (options: { isServer: boolean; maxPayload: number }) => WsReceiver;
};

const SIZES = [0, 1, 125, 126, 127, 65_535, 65_536, 70_000];

function wsFrame(payload: Buffer): Buffer {
  return Buffer.concat(Sender.frame(payload, { fin: true, opcode: 1, mask: false, readOnly: true, rsv1: false }));
}

test('a text frame is what ws writes, at every length boundary', () => {
  for (const n of SIZES) {
    const text = 'é'.repeat(Math.floor(n / 2)) + 'x'.repeat(n % 2); // multi-byte UTF-8: the length is in bytes
    const payload = Buffer.from(text, 'utf8');
    assert.deepEqual(textFrame(text), wsFrame(payload), `payload of ${String(payload.length)} bytes`);
  }
});

test('a burst of frames in one buffer is the frames one after another, and ws reads each message back', async () => {
  const payloads = SIZES.map((n, i) => Buffer.from(JSON.stringify({ i, pad: 'p'.repeat(n) }), 'utf8'));
  const burst = textFrames(payloads);
  assert.deepEqual(burst, Buffer.concat(payloads.map(wsFrame)));
  assert.equal(textFrames([]).length, 0);
  // A client's parser (isServer false: frames from a server are unmasked).
  const got: string[] = [];
  const receiver = new Receiver({ isServer: false, maxPayload: 0 });
  receiver.on('message', (data, isBinary) => { assert.equal(isBinary, false); got.push(data.toString('utf8')); });
  await new Promise<void>((resolve, reject) => { receiver.write(burst, (e) => { if (e) reject(e); else resolve(); }); });
  assert.deepEqual(got, payloads.map((p) => p.toString('utf8')));
});
