/**
 * The machine's own floor for the dispatcher's latency: a bare `ws` echo between
 * two processes on different cores (core 0 echoes, core 1 times), with the same
 * 5 ms gaps as the latency loop. start→running is two such one-way trips plus
 * the server's work, so its p99 cannot be lower than this round trip's.
 * @module
 */
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { WebSocket, WebSocketServer } from 'ws';

const RUNS = 1000;

if (process.argv[2] === 'echo') {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  wss.on('listening', () => { process.stdout.write(`${String((wss.address() as { port: number }).port)}\n`); });
  wss.on('connection', (ws) => ws.on('message', (d) => ws.send(d)));
}

export async function benchLoopback(): Promise<{ loopback_roundtrip_p50_ms: number; loopback_roundtrip_p99_ms: number }> {
  const echo = spawn('taskset', ['-c', '0', process.execPath, '--import', 'tsx', new URL(import.meta.url).pathname, 'echo'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [chunk] = await once(echo.stdout, 'data') as [Buffer];
  const before = spawnSync('taskset', ['-p', String(process.pid)], { encoding: 'utf8' }).stdout.trim().split(' ').at(-1) ?? 'ffffffff';
  spawnSync('taskset', ['-a', '-p', '-c', '1', String(process.pid)]);
  const ws = new WebSocket(`ws://127.0.0.1:${String(chunk).trim()}`);
  await once(ws, 'open');
  const samples: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    await new Promise((resolve) => { ws.once('message', resolve); ws.send('{"type": "start", "plan": "quick", "keep_open": true}'); });
    samples.push(performance.now() - t0);
    await new Promise((r) => setTimeout(r, 5));
  }
  ws.close();
  echo.kill();
  spawnSync('taskset', ['-a', '-p', before, String(process.pid)]);
  samples.sort((a, b) => a - b);
  const at = (p: number): number => Math.round((samples[Math.floor(p * samples.length)] ?? NaN) * 1000) / 1000;
  return { loopback_roundtrip_p50_ms: at(0.5), loopback_roundtrip_p99_ms: at(0.99) };
}
