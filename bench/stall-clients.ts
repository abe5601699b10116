/**
 * The stall bench's subscribers, on a worker thread of their own: v1 and v2
 * subscribers that read until told to stop (then pause their sockets, so the
 * server's writes back up), and finally destroy their sockets unread.
 * @module
 */
import { parentPort } from 'node:worker_threads';
import { WebSocket } from 'ws';

const port = parentPort;
if (port === null) throw new Error('stall-clients.ts runs as a worker thread');
const sockets: WebSocket[] = [];

function open(url: string, first: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.once('error', reject);
    ws.once('open', () => {
      ws.once('message', () => resolve(ws));
      ws.send(first);
    });
  });
}

port.on('message', (m: { kind: string; v1?: string; v2?: string; n1?: number; n2?: number }) => {
  void (async () => {
    if (m.kind === 'connect') {
      for (let i = 0; i < (m.n1 ?? 0); i++) sockets.push(await open(m.v1 ?? '', '{"type": "subscribe"}'));
      for (let i = 0; i < (m.n2 ?? 0); i++) sockets.push(await open(m.v2 ?? '', '{"id": 1, "op": "subscribe"}'));
      port.postMessage({ kind: 'connected', n: sockets.length });
    } else if (m.kind === 'stop-reading') {
      // ws's own socket: pausing it leaves the bytes in the kernel, so the server's sends back up.
      for (const ws of sockets) (ws as unknown as { _socket: { pause(): void } })._socket.pause();
      port.postMessage({ kind: 'stopped' });
    } else if (m.kind === 'destroy') {
      for (const ws of sockets) ws.terminate();
      port.postMessage({ kind: 'destroyed' });
    }
  })();
});
