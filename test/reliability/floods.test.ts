// Floods against a receiver with default limits, run in a child process with a 256 MB heap: a
// stream id per frame, thousands of connections, peers declaring 64 MiB frames. The process must
// survive, its memory stay bounded (reported), and a good peer streaming throughout keep every frame.
import { connect, type Socket } from 'node:net';
import t, { type Test } from 'tap';
import WebSocket from 'ws';
import { encodeFrameHeader, encodeFrameMessage } from '../../src/sources/protocol.js';
import type { Frame } from '../../src/types.js';
import { jsonLines, spawnTypescript } from '../helpers/ts-child.js';
import { rawWebSocket, wsBinaryHeader } from '../helpers/ws-raw.js';
import { LONG, SCALE } from './scale.js';

type Kind = 'tcp' | 'ws';
type Flood = 'streams' | 'connections' | 'bigFrames';
const GOOD_STREAM = 4242;
const MiB = 1024 * 1024;

interface Report {
  readonly peakRss: number;
  readonly peakHeapUsed: number;
  readonly peakArrayBuffers: number;
  readonly goodFrames: number;
  readonly goodInOrder: boolean;
  readonly otherFrames: number;
  readonly errorsByLimit: Record<string, number>;
  readonly goodPeerError?: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function goodFrame(n: number): Frame {
  return { data: new Uint8Array(32 * 24).fill(n & 0xff), width: 32, height: 24, channels: 1, index: n, timestamp: n * 40 };
}

/** A raw TCP connection that ignores its errors (the server closes flood peers on purpose). */
function tcp(port: number): Promise<Socket | undefined> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => resolve(socket));
    socket.on('error', () => resolve(undefined));
  });
}

/** Writes while the socket takes it: the flood must not grow the flooder's own memory. */
function writeWhenReady(socket: Socket, bytes: Uint8Array): Promise<void> {
  return new Promise((resolve) => {
    if (socket.destroyed) return resolve();
    if (socket.write(bytes)) return resolve();
    // Whichever comes first removes the other, so a long flood adds no listeners.
    const done = () => {
      socket.off('drain', done);
      socket.off('close', done);
      resolve();
    };
    socket.once('drain', done);
    socket.once('close', done);
  });
}

/** Frames of 1 pixel, each on a new stream id (never the good peer's). */
function streamIdBatch(firstId: number, count: number): Buffer {
  const frames: Uint8Array[] = [];
  for (let k = 0; k < count; k++) {
    const id = (firstId + k) % 0xffffffff;
    frames.push(encodeFrameMessage({ data: Uint8Array.of(k & 0xff), width: 1, height: 1, channels: 1, index: 0, timestamp: 0 }, id === GOOD_STREAM ? id + 1 : id));
  }
  return Buffer.concat(frames);
}

/** Runs the floods against the server until `stop()` is true; each loop reconnects what the server closes. */
function startFloods(kind: Kind, port: number, floods: readonly Flood[], stopped: () => boolean): Promise<Record<string, number>> {
  const counts: Record<string, number> = { streamFrames: 0, connections: 0, bigFrameBytes: 0 };
  const loops: Promise<void>[] = [];
  let nextStream = 1_000_000;
  if (floods.includes('streams')) {
    for (let peer = 0; peer < 4; peer++) {
      loops.push((async () => {
        while (!stopped()) {
          if (kind === 'tcp') {
            const socket = await tcp(port);
            while (socket && !socket.destroyed && !stopped()) {
              await writeWhenReady(socket, streamIdBatch(nextStream, 500));
              nextStream += 500;
              counts.streamFrames! += 500;
            }
            socket?.destroy();
          } else {
            const socket = new WebSocket(`ws://127.0.0.1:${port}/`);
            socket.on('error', () => undefined);
            const opened = await new Promise<boolean>((resolve) => {
              socket.once('open', () => resolve(true));
              socket.once('close', () => resolve(false));
            });
            while (opened && socket.readyState === WebSocket.OPEN && !stopped()) {
              for (let k = 0; k < 200; k++) socket.send(streamIdBatch(nextStream++, 1));
              counts.streamFrames! += 200;
              await sleep(socket.bufferedAmount > MiB ? 20 : 0);
            }
            socket.terminate();
          }
          await sleep(1);
        }
      })());
    }
  }
  if (floods.includes('connections')) {
    // Connections that say nothing, or one byte now and then (slow loris), as many as will open.
    for (let lane = 0; lane < 40; lane++) {
      loops.push((async () => {
        const held: Socket[] = [];
        while (!stopped()) {
          const socket = await tcp(port);
          if (socket) {
            counts.connections!++;
            held.push(socket);
            if (lane % 2 === 0) socket.write(kind === 'tcp' ? Uint8Array.of(0x52) : 'GET / HTTP/1.1\r\n');
          }
          if (held.length > 50) held.shift()?.destroy();
          await sleep(socket ? 2 : 20);
        }
        held.forEach((socket) => socket.destroy());
      })());
    }
  }
  if (floods.includes('bigFrames')) {
    // 40 peers each declaring a 64 MiB frame and sending it as fast as the server takes it.
    const chunk = Buffer.alloc(MiB);
    const declared = { data: new Uint8Array(0), width: 4096, height: 4096, channels: 4 as const, index: 0, timestamp: 0 };
    for (let peer = 0; peer < 40; peer++) {
      loops.push((async () => {
        while (!stopped()) {
          const socket = kind === 'tcp' ? await tcp(port) : await rawWebSocket(port).catch(() => undefined);
          if (socket) {
            const header = kind === 'tcp' ? headerDeclaring(declared) : Buffer.concat([wsBinaryHeader(64 * MiB + 32), headerDeclaring(declared)]);
            await writeWhenReady(socket, header);
            for (let sent = 0; sent < 64 && !socket.destroyed && !stopped(); sent++) {
              await writeWhenReady(socket, chunk);
              counts.bigFrameBytes! += chunk.length;
            }
            socket.destroy();
          }
          await sleep(10);
        }
      })());
    }
  }
  return Promise.all(loops).then(() => counts);
}

/** A frame header declaring the frame's size without its payload (encodeFrameHeader checks the data). */
function headerDeclaring(frame: Frame): Buffer {
  const header = Buffer.from(encodeFrameHeader({ ...frame, data: new Uint8Array(1), width: 1, height: 1, channels: 1 }));
  header.writeUInt8(frame.channels, 5);
  header.writeUInt32LE(frame.width, 8);
  header.writeUInt32LE(frame.height, 12);
  header.writeUInt32LE(frame.width * frame.height * frame.channels, 28);
  return header;
}

/** A good peer sending a 32x24 frame every 40 ms on stream 4242; resolves with how many it sent. */
async function goodPeer(kind: Kind, port: number, stopped: () => boolean): Promise<number> {
  let sent = 0;
  if (kind === 'tcp') {
    const socket = (await tcp(port))!;
    while (!stopped()) {
      socket.write(encodeFrameMessage(goodFrame(sent++), GOOD_STREAM));
      await sleep(40);
    }
    await new Promise<void>((resolve) => socket.end(resolve));
  } else {
    const socket = new WebSocket(`ws://127.0.0.1:${port}/`);
    await new Promise((resolve) => socket.once('open', resolve));
    while (!stopped()) {
      socket.send(encodeFrameMessage(goodFrame(sent++), GOOD_STREAM));
      await sleep(40);
    }
    socket.close(1000);
  }
  return sent;
}

async function flood(t: Test, kind: Kind, floods: readonly Flood[]): Promise<void> {
  const child = spawnTypescript(new URL('./flood-server.ts', import.meta.url), [kind], ['--max-old-space-size=256']);
  // Whatever happens to this test, its server does not outlive it.
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill();
  });
  let port: number | undefined;
  let report: Report | undefined;
  const exited = jsonLines(child, (line) => {
    if (typeof line.port === 'number') port = line.port;
    if (line.report) report = line.report as Report;
  });
  let childDone = false;
  void exited.then(() => (childDone = true));
  while (port === undefined && !childDone) await sleep(20);
  t.ok(port, 'the flood server listens');
  if (!port) return;
  let stop = false;
  const good = goodPeer(kind, port, () => stop);
  await sleep(300); // the good peer is connected before the floods start
  const flooding = startFloods(kind, port, floods, () => stop || childDone);
  await sleep(SCALE.floodSeconds * 1000);
  stop = true;
  const sent = await good;
  const counts = await flooding;
  await sleep(1500); // the server drains what it holds
  if (!childDone) child.stdin!.write('report\n');
  const exit = await exited;
  t.same({ code: exit.code, signal: exit.signal }, { code: 0, signal: null }, `the ${kind} server survived (${exit.stderr.slice(-300)})`);
  t.ok(report, 'and reported');
  if (!report) return;
  t.equal(report.goodPeerError, undefined, 'the good peer was never closed');
  t.equal(report.goodFrames, sent, `the good peer's ${sent} frames all arrived`);
  t.ok(report.goodInOrder, 'in order, intact');
  const mb = (bytes: number) => `${(bytes / MiB).toFixed(0)} MB`;
  t.comment(
    `${kind} ${floods.join('+')} flood, ${SCALE.floodSeconds} s at a 256 MB heap: peak RSS ${mb(report.peakRss)}, heap ${mb(report.peakHeapUsed)}, ` +
      `array buffers ${mb(report.peakArrayBuffers)}; sent ${counts.streamFrames} stream-id frames, ${counts.connections} connections, ${mb(counts.bigFrameBytes!)} of 64 MiB frames; ` +
      `closed by limit: ${JSON.stringify(report.errorsByLimit)}`,
  );
  // Bounded: the 256 MiB byte budget, plus buffers of closed peers that the garbage collector has
  // not reclaimed yet; far from the gigabytes of the unbounded receiver.
  t.ok(report.peakArrayBuffers < 512 * MiB, `array buffers stayed under 512 MB (${mb(report.peakArrayBuffers)})`);
  t.ok(report.peakRss < 900 * MiB, `RSS stayed under 900 MB (${mb(report.peakRss)})`);
}

const plan: Flood[][] = LONG ? [['streams'], ['connections'], ['bigFrames']] : [['streams', 'connections', 'bigFrames']];
for (const kind of ['tcp', 'ws'] as const) {
  for (const floods of plan) {
    t.test(`${kind}: ${floods.join(', ')} flood under a 256 MB heap`, { timeout: (SCALE.floodSeconds + 60) * 1000 }, (t) => flood(t, kind, floods));
  }
}


