import t from 'tap';
import { lastValueFrom, toArray } from 'rxjs';
import WebSocket, { WebSocketServer } from 'ws';
import { fromWebSocket, fromWebSocketServer } from '../../src/sources/websocket.js';
import { encodeFrameMessage } from '../../src/sources/protocol.js';
import type { LiveFrame } from '../../src/sources/live-policy.js';
import { sleep, syntheticFrame } from './helpers.js';

async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for a condition');
    await sleep(10);
  }
}

function openClient(port: number): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`ws://127.0.0.1:${port}/`);
    socket.once('open', () => resolve(socket));
    socket.once('error', reject);
  });
}

function closed(socket: WebSocket): Promise<number> {
  return new Promise((resolve) => socket.once('close', (code) => resolve(code)));
}

t.test('a WebSocket server receives frames from several clients; bad clients are closed and reported', async (t) => {
  const frames: LiveFrame[] = [];
  const errors: string[] = [];
  let resolvePort: (port: number) => void;
  const port = new Promise<number>((resolve) => (resolvePort = resolve));
  const subscription = fromWebSocketServer({
    policy: 'queue',
    queueSize: 100,
    maxFrameBytes: 10_000,
    onListening: (address) => resolvePort(address.port),
    onConnectionError: (error, connection) => errors.push(`${connection.connectionId}: ${error.message}`),
  }).subscribe((frame) => frames.push(frame));

  const [first, second] = await Promise.all([openClient(await port), openClient(await port)]);
  for (let i = 0; i < 5; i++) {
    first!.send(encodeFrameMessage(syntheticFrame(i, 4, 4, 3, 1)));
    second!.send(encodeFrameMessage(syntheticFrame(i, 2, 2, 1, 2)));
  }
  await until(() => frames.length === 10);
  const streams = new Set(frames.map((frame) => frame.streamId));
  t.equal(streams.size, 2);
  for (const stream of streams) {
    const own = frames.filter((frame) => frame.streamId === stream);
    t.same(own.map((frame) => frame.index), [0, 1, 2, 3, 4], `${stream}: own index`);
  }
  t.same(frames.filter((frame) => frame.channels === 1).map((frame) => Array.from(frame.data)), [0, 1, 2, 3, 4].map((i) => Array.from(syntheticFrame(i, 2, 2, 1).data)));

  const texter = await openClient(await port);
  texter.send('hello');
  t.equal(await closed(texter), 1003, 'a text message closes the connection (1003 unsupported data)');
  const oversized = await openClient(await port);
  oversized.send(new Uint8Array(20_000));
  t.equal(await closed(oversized), 1009, 'ws refuses a message over maxFrameBytes before buffering it (1009 too big)');
  const mismatched = await openClient(await port);
  mismatched.send(encodeFrameMessage(syntheticFrame(0)).subarray(0, 100));
  await closed(mismatched);
  await until(() => errors.length === 3);
  const messages = errors.join('\n');
  t.match(messages, /received a text message: expected binary messages, one frame each/);
  t.match(messages, /code 1009|Max payload size exceeded/);
  t.match(messages, /message carries 68 payload bytes, header declares 144/);

  first!.send(encodeFrameMessage(syntheticFrame(5, 4, 4, 3, 1)));
  await until(() => frames.length === 11);
  t.pass('the good clients are still served');
  subscription.unsubscribe();
  t.equal(await closed(first!), 1006, 'unsubscribing terminates the clients');
  const refused = await openClient(await port).then(() => 'open', () => 'refused');
  t.equal(refused, 'refused', 'and closes the server');
});

t.test('fromWebSocket receives from a server that sends frames, and completes on a normal close', async (t) => {
  const server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise((resolve) => server.once('listening', resolve));
  server.on('connection', (socket) => {
    for (let i = 0; i < 8; i++) socket.send(encodeFrameMessage(syntheticFrame(i, 6, 5, 4, 3)));
    socket.close(1000);
  });
  const port = (server.address() as { port: number }).port;
  const frames = await lastValueFrom(fromWebSocket(`ws://127.0.0.1:${port}`, { policy: 'queue', queueSize: 16 }).pipe(toArray()));
  t.same(frames.map((frame) => frame.index), [0, 1, 2, 3, 4, 5, 6, 7]);
  t.same(frames.map((frame) => frame.streamId), Array(8).fill('0:3'));
  t.same([frames[0]!.width, frames[0]!.height, frames[0]!.channels], [6, 5, 4]);

  server.removeAllListeners('connection');
  server.on('connection', (socket) => socket.send('not a frame'));
  const error = await lastValueFrom(fromWebSocket(`ws://127.0.0.1:${port}`)).catch((e: Error) => e);
  t.match((error as Error).message, /received a text message/);
  server.close();
  const refused = await lastValueFrom(fromWebSocket(`ws://127.0.0.1:${port}`)).catch((e: Error) => e);
  t.match((refused as Error).message, /cannot connect to ws:\/\/127.0.0.1:\d+ \(.*ECONNREFUSED.*\): expected a WebSocket server sending frames/);
});
