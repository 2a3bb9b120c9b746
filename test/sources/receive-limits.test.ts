// What a peer may make a receiver hold: streams, connections, buffered bytes, time. A peer over a
// limit is closed and reported with a ReceiveLimitError naming the limit; the others go on.
import { connect, createServer, type Socket } from 'node:net';
import t from 'tap';
import { from, lastValueFrom, concatMap, timer, map } from 'rxjs';
import WebSocket, { WebSocketServer } from 'ws';
import { fromSocket, toSocket, type SendDrop } from '../../src/sources/socket.js';
import { fromWebSocket, fromWebSocketServer } from '../../src/sources/websocket.js';
import { encodeFrameMessage } from '../../src/sources/protocol.js';
import { ReceiveLimitError, type ReceiveLimits } from '../../src/sources/receive-limits.js';
import type { LiveFrame } from '../../src/sources/live-policy.js';
import { sleep, syntheticFrame } from './helpers.js';
import { rawWebSocket, wsBinaryHeader } from '../helpers/ws-raw.js';

interface Reported {
  readonly error: Error;
  readonly connectionId: number;
}

async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for a condition');
    await sleep(5);
  }
}

/** A `fromSocket` or `fromWebSocketServer` server with the given limits, recording frames and errors. */
function server(kind: 'tcp' | 'ws', limits: ReceiveLimits & { policy?: 'queue' | 'latest'; queueSize?: number }) {
  const errors: Reported[] = [];
  const frames: LiveFrame[] = [];
  let resolvePort: (port: number) => void;
  const port = new Promise<number>((resolve) => (resolvePort = resolve));
  const options = {
    policy: 'queue' as const,
    queueSize: 10_000,
    ...limits,
    onListening: ({ port }: { port: number }) => resolvePort(port),
    onConnectionError: (error: Error, connection: { connectionId: number }) => errors.push({ error, connectionId: connection.connectionId }),
  };
  const subscription = (kind === 'tcp' ? fromSocket(options) : fromWebSocketServer(options)).subscribe((frame) => frames.push(frame));
  return { port, errors, frames, subscription, limitsHit: () => errors.filter((e) => e.error instanceof ReceiveLimitError).map((e) => (e.error as ReceiveLimitError).limit) };
}

function tcpPeer(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => resolve(socket));
    socket.on('error', reject);
  });
}

function wsPeer(port: number): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`ws://127.0.0.1:${port}/`);
    socket.once('open', () => resolve(socket));
    socket.once('error', reject);
  });
}

const closedTcp = (socket: Socket) => new Promise<void>((resolve) => (socket.destroyed ? resolve() : socket.once('close', () => resolve())));
const closedWs = (socket: WebSocket) => new Promise<number>((resolve) => (socket.readyState === WebSocket.CLOSED ? resolve(-1) : socket.once('close', (code) => resolve(code))));

for (const kind of ['tcp', 'ws'] as const) {
  const send = async (port: number) => {
    if (kind === 'tcp') {
      const socket = await tcpPeer(port);
      return { write: (bytes: Uint8Array) => socket.write(bytes), closed: () => closedTcp(socket), end: () => socket.destroy() };
    }
    const socket = await wsPeer(port);
    socket.on('error', () => undefined);
    return { write: (bytes: Uint8Array) => socket.send(bytes), closed: () => closedWs(socket).then(() => undefined), end: () => socket.terminate() };
  };

  t.test(`${kind}: a peer that opens a new stream id per frame is closed at maxStreamsPerConnection; a good peer keeps every frame`, async (t) => {
    const receiver = server(kind, { maxStreamsPerConnection: 8 });
    const port = await receiver.port;
    const good = await send(port);
    const flood = await send(port);
    for (let id = 0; id < 50; id++) flood.write(encodeFrameMessage(syntheticFrame(id, 1, 1, 1), id));
    for (let i = 0; i < 20; i++) good.write(encodeFrameMessage(syntheticFrame(i, 4, 4, 3), 7));
    await flood.closed();
    await until(() => receiver.frames.filter((f) => f.streamId === '0:7').length === 20 && receiver.errors.length === 1);
    t.same(receiver.limitsHit(), ['maxStreamsPerConnection']);
    t.match(receiver.errors[0]!.error.message, /stream id 8 would be this connection's stream number 9, more than maxStreamsPerConnection = 8/);
    t.same(receiver.frames.filter((f) => f.streamId === '0:7').map((f) => f.index), [...Array(20).keys()], 'the good peer lost nothing');
    t.equal(receiver.frames.filter((f) => f.streamId !== '0:7').length, 8, 'the flood got its first 8 streams, no more');
    good.end();
    receiver.subscription.unsubscribe();
  });

  t.test(`${kind}: the server's maxStreams counts every connection's streams, and frees them when a connection ends`, async (t) => {
    const receiver = server(kind, { maxStreams: 6 });
    const port = await receiver.port;
    const first = await send(port);
    for (let id = 0; id < 4; id++) first.write(encodeFrameMessage(syntheticFrame(0, 1, 1, 1), id));
    await until(() => receiver.frames.length === 4);
    const second = await send(port);
    for (let id = 0; id < 4; id++) second.write(encodeFrameMessage(syntheticFrame(0, 1, 1, 1), id));
    await second.closed();
    await until(() => receiver.errors.length === 1);
    t.same(receiver.limitsHit(), ['maxStreams']);
    t.match(receiver.errors[0]!.error.message, /would be stream number 7 of the server, more than maxStreams = 6/);
    first.end();
    await first.closed();
    await sleep(50);
    const third = await send(port);
    for (let id = 0; id < 6; id++) third.write(encodeFrameMessage(syntheticFrame(0, 1, 1, 1), id));
    await until(() => receiver.frames.length === 4 + 2 + 6);
    t.pass('after the first connection ended, its streams were free again');
    third.end();
    receiver.subscription.unsubscribe();
  });

  t.test(`${kind}: connections over maxConnections are refused on arrival and reported`, async (t) => {
    const receiver = server(kind, { maxConnections: 3 });
    const port = await receiver.port;
    const peers = [];
    for (let k = 0; k < 3; k++) peers.push(await send(port));
    const extra = kind === 'tcp' ? tcpPeer(port).then((socket) => closedTcp(socket)) : wsPeer(port).then((s) => closedWs(s), () => undefined);
    await extra;
    await until(() => receiver.errors.length === 1);
    t.same(receiver.limitsHit(), ['maxConnections']);
    t.match(receiver.errors[0]!.error.message, /maxConnections = 3: connection refused/);
    peers.forEach((peer, k) => peer.write(encodeFrameMessage(syntheticFrame(k, 2, 2, 1))));
    await until(() => receiver.frames.length === 3);
    t.pass('the three admitted peers are still served');
    peers.forEach((peer) => peer.end());
    receiver.subscription.unsubscribe();
  });
}

t.test('tcp: peers declaring large frames and sending them slowly cannot take the buffered bytes from a good peer', async (t) => {
  const receiver = server('tcp', { maxFrameBytes: 1_000_000, maxBufferedBytes: 2_500_000 });
  const port = await receiver.port;
  const good = await tcpPeer(port);
  const hogs = await Promise.all([0, 1, 2, 3].map(() => tcpPeer(port)));
  // Each hog declares a 1,000,000-byte frame and sends 10 bytes of it: its claim is the whole frame.
  hogs.forEach((hog) => hog.write(encodeFrameMessage(syntheticFrame(0, 1000, 1000, 1)).subarray(0, 42)));
  await until(() => receiver.errors.length >= 2);
  t.same(receiver.limitsHit(), ['maxBufferedBytes', 'maxBufferedBytes'], 'two hogs did not fit');
  for (let i = 0; i < 30; i++) good.write(encodeFrameMessage(syntheticFrame(i, 64, 64, 3)));
  await until(() => receiver.frames.length === 30);
  t.same(receiver.frames.map((f) => f.index), [...Array(30).keys()], 'the good peer lost nothing');
  t.match(receiver.errors[0]!.error.message, /past maxBufferedBytes = 2500000/);
  good.destroy();
  hogs.forEach((hog) => hog.destroy());
  receiver.subscription.unsubscribe();
});

/** A hand-written WebSocket client that declares `declared` bytes and sends the first `sent`. */
async function partialWsMessage(port: number, declared: number, sent: number): Promise<Socket> {
  const socket = await rawWebSocket(port);
  socket.write(Buffer.concat([wsBinaryHeader(declared), Buffer.alloc(sent)]));
  return socket;
}

t.test('ws: clients stopping inside large messages cannot take the buffered bytes from a good peer', async (t) => {
  const receiver = server('ws', { maxFrameBytes: 1_000_000, maxBufferedBytes: 2_500_000 });
  const port = await receiver.port;
  const good = await wsPeer(port);
  const hogs = [];
  for (let k = 0; k < 4; k++) hogs.push(await partialWsMessage(port, 1_000_032, 900_000));
  await until(() => receiver.errors.length >= 2);
  t.same(receiver.limitsHit(), ['maxBufferedBytes', 'maxBufferedBytes'], 'two hogs did not fit');
  for (let i = 0; i < 30; i++) good.send(encodeFrameMessage(syntheticFrame(i, 64, 64, 3)));
  await until(() => receiver.frames.length === 30);
  t.same(receiver.frames.map((f) => f.index), [...Array(30).keys()], 'the good peer lost nothing');
  good.terminate();
  hogs.forEach((hog) => hog.destroy());
  receiver.subscription.unsubscribe();
});

t.test('tcp: silence, a slow header and a slow frame are each closed by their own clock', async (t) => {
  const receiver = server('tcp', { idleTimeoutMs: 300, headerTimeoutMs: 150, frameTimeoutMs: 400 });
  const port = await receiver.port;
  const started = Date.now();
  const silent = await tcpPeer(port);
  const slowHeader = await tcpPeer(port);
  const slowFrame = await tcpPeer(port);
  const message = encodeFrameMessage(syntheticFrame(0, 10, 10, 3));
  // A byte every 50 ms keeps the idle clock quiet but not the other two.
  let offset = 0;
  const trickle = setInterval(() => {
    slowHeader.write(message.subarray(offset, offset + 1));
    slowFrame.write(offset === 0 ? message.subarray(0, 40) : message.subarray(39 + offset, 40 + offset));
    offset++;
  }, 50);
  await Promise.all([closedTcp(silent), closedTcp(slowHeader), closedTcp(slowFrame)]);
  clearInterval(trickle);
  await until(() => receiver.errors.length === 3);
  const byConnection = new Map(receiver.errors.map((e) => [e.connectionId, e.error as ReceiveLimitError]));
  t.equal(byConnection.get(0)?.limit, 'idleTimeoutMs');
  t.match(byConnection.get(0)?.message, /no data for 300 ms \(idleTimeoutMs\)/);
  t.equal(byConnection.get(1)?.limit, 'headerTimeoutMs');
  t.equal(byConnection.get(2)?.limit, 'frameTimeoutMs');
  t.ok(Date.now() - started < 2000, 'all within the timeouts, not at some later sweep');
  receiver.subscription.unsubscribe();
});

t.test('ws: a connection that never finishes its upgrade request is closed after headerTimeoutMs', async (t) => {
  const receiver = server('ws', { headerTimeoutMs: 300 });
  const port = await receiver.port;
  const started = Date.now();
  const loris = await tcpPeer(port);
  loris.on('error', () => undefined);
  loris.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n');
  const trickle = setInterval(() => loris.write('X'), 100); // bytes keep coming, the headers never end
  await closedTcp(loris);
  clearInterval(trickle);
  const elapsed = Date.now() - started;
  t.ok(elapsed < 2000, `closed after ${elapsed} ms`);
  receiver.subscription.unsubscribe();
});

t.test('clients stall no more: fromSocket({ connect }) and fromWebSocket error after idleTimeoutMs of silence', async (t) => {
  const silentTcp = createServer(() => undefined);
  await new Promise<void>((resolve) => silentTcp.listen(0, '127.0.0.1', resolve));
  const tcpPort = (silentTcp.address() as { port: number }).port;
  const started = Date.now();
  const tcpError = await lastValueFrom(fromSocket({ connect: { port: tcpPort }, idleTimeoutMs: 200 })).then(() => undefined, (e: Error) => e);
  t.type(tcpError, ReceiveLimitError);
  t.match(tcpError?.message, /no data for 200 ms \(idleTimeoutMs\): the peer stalled or is gone/);
  t.ok(Date.now() - started < 1500);
  silentTcp.close();

  const silentWs = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise((resolve) => silentWs.once('listening', resolve));
  const wsPort = (silentWs.address() as { port: number }).port;
  const wsError = await lastValueFrom(fromWebSocket(`ws://127.0.0.1:${wsPort}/`, { idleTimeoutMs: 200 })).then(() => undefined, (e: Error) => e);
  t.type(wsError, ReceiveLimitError);
  t.match(wsError?.message, /idleTimeoutMs/);
  silentWs.close();
});

t.test('bad limit options are errors naming the option', async (t) => {
  const cases: Array<[ReceiveLimits, RegExp]> = [
    [{ maxStreams: 0 }, /fromSocket: maxStreams must be an integer ≥ 1, got 0/],
    [{ maxConnections: 1.5 }, /maxConnections must be an integer ≥ 1, got 1.5/],
    [{ idleTimeoutMs: -5 }, /idleTimeoutMs must be a number of milliseconds > 0 \(Infinity: no timeout\), got -5/],
    [{ maxFrameBytes: 1000, maxBufferedBytes: 999 }, /maxBufferedBytes \(999\) must be at least maxFrameBytes \(1000\)/],
  ];
  for (const [limits, message] of cases) {
    const error = await lastValueFrom(fromSocket({ ...limits })).then(() => undefined, (e: Error) => e);
    t.match(error?.message, message);
  }
});

t.test('toSocket: the queue of a slow receiver is bounded by default and reports what it dropped', async (t) => {
  let receiverSocket: Socket | undefined;
  const slow = createServer((socket) => {
    receiverSocket = socket;
    socket.pause();
  });
  await new Promise<void>((resolve) => slow.listen(0, '127.0.0.1', resolve));
  const port = (slow.address() as { port: number }).port;
  const drops: SendDrop[] = [];
  const frameBytes = 1024 * 1024 * 3;
  let offered = 0;
  const frames = Array.from({ length: 120 }, (_, i) => syntheticFrame(i, 1024, 1024, 3)); // 3 MiB each, 360 MiB in all
  const sending = lastValueFrom(
    from(frames).pipe(
      concatMap((frame) => timer(0).pipe(map(() => frame))),
      toSocket({ port }, { onDrop: (drop) => drops.push(drop) }),
      map(() => offered++),
    ),
  );
  await until(() => offered === 120, 20000);
  // Everything was offered while the receiver read nothing: the queue holds at most 64 MiB.
  const keptWhilePaused = 120 - drops.length;
  t.ok(keptWhilePaused <= Math.floor((64 * 1024 * 1024) / frameBytes) + 4, `${keptWhilePaused} frames kept (queue of 64 MiB = 21 frames, plus what the sockets took)`);
  let received = 0;
  receiverSocket!.on('data', (chunk: Buffer) => (received += chunk.length));
  receiverSocket!.resume();
  await sending;
  await until(() => received % (frameBytes + 32) === 0 && received > 0);
  const framesReceived = received / (frameBytes + 32);
  t.ok(drops.every((drop, k) => drop.receiver === 0 && drop.droppedTotal === k + 1), 'each drop reported with its running total');
  t.equal(framesReceived + drops.length, 120, `${framesReceived} written + ${drops.length} dropped = every frame`);
  slow.close();
});
