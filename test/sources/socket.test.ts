import t from 'tap';
import { connect, createServer, type Socket } from 'node:net';
import { concatMap, from, groupBy, lastValueFrom, map, mergeMap, take, timer, toArray } from 'rxjs';
import { fromSocket, toSocket } from '../../src/sources/socket.js';
import { encodeFrameMessage } from '../../src/sources/protocol.js';
import type { LiveFrame } from '../../src/sources/live-policy.js';
import type { Frame } from '../../src/types.js';
import { blockFor, sleep, syntheticFrame } from './helpers.js';

/** Starts `fromSocket` as a server and resolves its port once it listens. */
function listeningServer(options: Omit<Parameters<typeof fromSocket>[0], 'connect'> = {}, onFrame: (frame: LiveFrame) => void = () => undefined) {
  const errors: Array<{ message: string; connectionId: number }> = [];
  let resolvePort: (port: number) => void;
  const port = new Promise<number>((resolve) => (resolvePort = resolve));
  const frames: LiveFrame[] = [];
  const subscription = fromSocket({
    policy: 'queue',
    queueSize: 1000,
    ...options,
    onListening: ({ port }) => resolvePort(port),
    onConnectionError: (error, connection) => errors.push({ message: error.message, connectionId: connection.connectionId }),
  }).subscribe({
    next: (frame) => {
      frames.push(frame);
      onFrame(frame);
    },
  });
  return { port, frames, errors, subscription };
}

async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for a condition');
    await sleep(10);
  }
}

function rawConnection(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => resolve(socket));
    socket.on('error', reject);
  });
}

t.test('a server receives several senders, one stream each, ready for groupBy', async (t) => {
  const server = listeningServer();
  const port = await server.port;
  const sent = (stream: number) => Array.from({ length: 20 }, (_, i) => ({ ...syntheticFrame(i, 16, 8, 3, stream), keyframe: i === 0 }));
  await Promise.all([1, 2].map((stream) => lastValueFrom(from(sent(stream)).pipe(toSocket({ port })))));
  await until(() => server.frames.length === 40);
  const perStream = await lastValueFrom(
    from(server.frames).pipe(
      groupBy((frame) => frame.streamId),
      mergeMap((group) => group.pipe(toArray())),
      toArray(),
    ),
  );
  t.equal(perStream.length, 2, 'two streams');
  for (const frames of perStream) {
    const wireStream = Number(String(frames[0]!.streamId).split(':')[1]);
    t.match(String(frames[0]!.streamId), /^[01]:[12]$/, 'streamId = connection:sender stream');
    t.same(frames.map((frame) => frame.index), [...Array(20).keys()], `stream ${frames[0]!.streamId}: index from 0`);
    t.same(frames.map((frame) => Array.from(frame.data)), sent(wireStream).map((frame) => Array.from(frame.data)), 'payloads intact');
    t.same(frames.map((frame) => frame.timestamp), sent(wireStream).map((frame) => frame.timestamp));
    t.same(frames.map((frame) => frame.keyframe ?? false), sent(wireStream).map((frame) => frame.keyframe));
  }
  t.same(server.errors, []);
  server.subscription.unsubscribe();
});

t.test('a broken connection is closed and reported; the others keep streaming', async (t) => {
  const server = listeningServer({ maxFrameBytes: 1 << 20 });
  const port = await server.port;
  const good = await rawConnection(port);
  good.write(encodeFrameMessage(syntheticFrame(0)));

  const garbage = await rawConnection(port);
  garbage.write('GET / HTTP/1.1\r\nHost: example\r\n\r\n');
  const absurd = await rawConnection(port);
  const header = encodeFrameMessage(syntheticFrame(0, 1, 1, 4)).subarray(0, 32);
  new DataView(header.buffer).setUint32(8, 100000, true);
  new DataView(header.buffer).setUint32(12, 100000, true);
  absurd.write(header);
  const midFrame = await rawConnection(port);
  midFrame.end(encodeFrameMessage(syntheticFrame(0)).subarray(0, 100));

  const closed = await Promise.all([garbage, absurd].map((socket) => new Promise((resolve) => socket.on('close', resolve))));
  t.equal(closed.length, 2, 'the server closed the garbage and absurd connections');
  await until(() => server.errors.length === 3);
  const messages = server.errors.map((error) => error.message).sort().join('\n');
  t.match(messages, /bad magic 47455420: expected 52524d46/);
  t.match(messages, /frame 100000×100000×4 needs 40000000000 bytes, more than maxFrameBytes = 1048576/);
  t.match(messages, /peer disconnected in the middle of a frame: got 68 of 144 payload bytes/);

  good.write(encodeFrameMessage(syntheticFrame(1)));
  await until(() => server.frames.length === 2);
  t.same(server.frames.map((frame) => [frame.streamId, frame.index]), [['0:0', 0], ['0:0', 1]], 'the good sender is still served');
  server.subscription.unsubscribe();
  await new Promise((resolve) => good.on('close', resolve));
  t.pass('unsubscribing closed the remaining connection');
  const refused = await rawConnection(port).then(() => 'connected', (error: NodeJS.ErrnoException) => error.code);
  t.equal(refused, 'ECONNREFUSED', 'and the listening socket');
});

t.test("'latest' drops what a slow pipeline cannot take, and reports it", async (t) => {
  const received: LiveFrame[] = [];
  const server = listeningServer({ policy: 'latest' }, (frame) => {
    received.push(frame);
    blockFor(30);
  });
  const port = await server.port;
  // Sender and receiver share this thread: the sender writes everything at once, then the receiver lags.
  await lastValueFrom(from(Array.from({ length: 100 }, (_, i) => syntheticFrame(i, 32, 32))).pipe(toSocket({ port })));
  await until(() => received.at(-1)?.index === 99);
  const dropped = received.reduce((total, frame) => total + frame.dropped, 0);
  t.ok(dropped > 20, `${dropped} of 100 dropped, ${received.length} delivered`);
  t.equal(received.length + dropped, 100, 'every frame is either delivered or counted');
  server.subscription.unsubscribe();
});

t.test('client mode connects to a listening sender and completes when it finishes', async (t) => {
  let resolvePort: (port: number) => void;
  const port = new Promise<number>((resolve) => (resolvePort = resolve));
  const sending = lastValueFrom(
    timer(0, 15).pipe(
      take(30),
      map((i) => syntheticFrame(i, 10, 10, 1, 5)),
      toSocket({ listen: { port: 0 }, onListening: (address) => resolvePort(address.port) }),
      toArray(),
    ),
  );
  const received = await lastValueFrom(fromSocket({ connect: { port: await port }, policy: 'queue', queueSize: 100 }).pipe(toArray()));
  const passedThrough = await sending;
  t.equal(passedThrough.length, 30, 'toSocket passes every frame on');
  t.ok(received.length >= 20, `received ${received.length} frames sent after connecting`);
  const firstSent = 30 - received.length;
  t.same(received.map((frame) => Array.from(frame.data)), passedThrough.slice(firstSent).map((frame) => Array.from(frame.data)), 'in order, intact');
  t.equal(received[0]!.streamId, '0:5');
});

t.test('client mode errors: refused connection, peer gone mid-frame', async (t) => {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const freePort = (probe.address() as { port: number }).port;
  await new Promise((resolve) => probe.close(resolve));
  const refused = await lastValueFrom(fromSocket({ connect: { port: freePort } })).catch((e: Error) => e);
  t.match((refused as Error).message, new RegExp(`cannot connect to 127.0.0.1:${freePort} \\(connect ECONNREFUSED.*\\): expected a frame sender listening there`));

  const cutter = createServer((socket) => socket.end(encodeFrameMessage(syntheticFrame(0)).subarray(0, 50)));
  await new Promise<void>((resolve) => cutter.listen(0, '127.0.0.1', resolve));
  const cut = await lastValueFrom(fromSocket({ connect: { port: (cutter.address() as { port: number }).port } })).catch((e: Error) => e);
  t.match((cut as Error).message, /peer disconnected in the middle of a frame: got 18 of 144 payload bytes/);
  cutter.close();
});

t.test('toSocket honours backpressure: nothing is written while drain is pending', async (t) => {
  // A receiver that reads nothing for a while: the kernel buffers fill, write() returns false.
  let receiverSocket: Socket | undefined;
  const receiver = createServer((socket) => {
    receiverSocket = socket;
    socket.pause();
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const port = (receiver.address() as { port: number }).port;
  const frames = Array.from({ length: 40 }, (_, i) => syntheticFrame(i, 512, 512, 3)); // 786 KiB each
  const sendAll = (policy: 'latest' | 'queue') =>
    new Promise<number>((resolve, reject) => {
      let bytesReceived = 0;
      const done = lastValueFrom(from(frames).pipe(concatMap((frame) => timer(1).pipe(map(() => frame))), toSocket({ port }, { policy })));
      until(() => receiverSocket !== undefined).then(async () => {
        const socket = receiverSocket!;
        await sleep(300); // all 40 frames were offered meanwhile
        socket.on('data', (chunk: Buffer) => (bytesReceived += chunk.length));
        socket.resume();
        socket.on('end', () => resolve(bytesReceived / (32 + 512 * 512 * 3)));
        done.catch(reject);
      }, reject);
    });
  const latest = await sendAll('latest');
  receiverSocket = undefined;
  const queued = await sendAll('queue');
  t.ok(latest < 20, `'latest': only ${latest} of 40 frames were written; the rest were dropped while the socket was congested`);
  t.equal(queued, 40, "'queue' (within its default 64 MiB: these 40 frames are 31 MiB) delivers every frame");
  receiver.close();
});

t.test('cold: no socket before subscribe; bad options are errors', async (t) => {
  let listening = false;
  const source = fromSocket({ onListening: () => (listening = true) });
  await sleep(50);
  t.notOk(listening);
  const subscription = source.subscribe();
  await until(() => listening);
  subscription.unsubscribe();
  const bad = await lastValueFrom(fromSocket({ policy: 'queue', queueSize: 1.5 })).catch((e: Error) => e);
  t.match((bad as Error).message, /queueSize must be an integer ≥ 1, got 1.5/);
  const badPolicy = await lastValueFrom(from([syntheticFrame(0)]).pipe(toSocket({ port: 9 }, { policy: 'oldest' as 'latest' }))).catch((e: Error) => e);
  t.match((badPolicy as Error).message, /toSocket: unknown policy 'oldest': expected 'latest' or 'queue'/);
  const busy = listeningServer();
  const busyPort = await busy.port;
  const inUse = await lastValueFrom(fromSocket({ port: busyPort })).catch((e: Error) => e);
  t.match((inUse as Error).message, new RegExp(`cannot listen on 127.0.0.1:${busyPort} \\(.*EADDRINUSE`));
  busy.subscription.unsubscribe();
  const badFrame = await lastValueFrom(from([{ ...syntheticFrame(0), channels: 2 } as unknown as Frame]).pipe(toSocket({ port: 9 }))).catch((e: Error) => e);
  t.match((badFrame as Error).message, /cannot send 2 channels: expected 1, 3 or 4/);
});
