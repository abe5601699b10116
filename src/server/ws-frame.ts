/**
 * Server-to-client websocket text frames (RFC 6455 §5.2: FIN, opcode 1, unmasked),
 * built by us instead of `ws.send`. A broadcast frames its text once for every
 * subscriber (v1), and a v2 pump hands the socket one buffer holding a burst of
 * frames: `ws.send` costs a header buffer, a callback and two queued writes per
 * frame per subscriber, which with 100 subscribers made most of the young-generation
 * garbage whose collections stalled the event loop. Bytes identical to what `ws`
 * writes (no compression: the server never negotiates permessage-deflate).
 * @module
 */

/** Bytes of the header of a frame carrying `n` payload bytes. */
function headerLength(n: number): number {
  return n < 126 ? 2 : n < 65536 ? 4 : 10;
}

/** Writes the header of an `n`-byte text frame at `at`; returns where the payload goes. */
function writeHeader(buf: Buffer, at: number, n: number): number {
  buf[at] = 0x81; // FIN, opcode 1 (text)
  if (n < 126) { buf[at + 1] = n; return at + 2; }
  if (n < 65536) { buf[at + 1] = 126; buf.writeUInt16BE(n, at + 2); return at + 4; }
  buf[at + 1] = 127;
  buf.writeBigUInt64BE(BigInt(n), at + 2);
  return at + 10;
}

/** `text` as one text frame. */
export function textFrame(text: string): Buffer {
  const n = Buffer.byteLength(text, 'utf8');
  const frame = Buffer.allocUnsafe(headerLength(n) + n);
  frame.write(text, writeHeader(frame, 0, n), 'utf8');
  return frame;
}

/** Each payload (UTF-8 JSON) as its own text frame, all in one buffer (one allocation, one socket write). */
export function textFrames(payloads: readonly Buffer[]): Buffer {
  let total = 0;
  for (const p of payloads) total += headerLength(p.length) + p.length;
  const out = Buffer.allocUnsafe(total);
  let at = 0;
  for (const p of payloads) {
    at = writeHeader(out, at, p.length);
    at += p.copy(out, at);
  }
  return out;
}
