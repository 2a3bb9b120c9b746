// Protocol fuzz: seeded mutations of valid frame streams (TCP) and messages (WebSocket) against a
// running receiver. Every case must end as docs/frame-protocol.md says (the frames before the first
// violation, then a reported error; or every frame and no error), within a time limit, while a
// good peer streams throughout and loses nothing.
import { connect, type Socket } from 'node:net';
import { setImmediate as nextTurn } from 'node:timers/promises';
import t, { type Test } from 'tap';
import WebSocket from 'ws';
import { fromSocket } from '../../src/sources/socket.js';
import { fromWebSocketServer } from '../../src/sources/websocket.js';
import { encodeFrameMessage } from '../../src/sources/protocol.js';
import type { LiveFrame } from '../../src/sources/live-policy.js';
import { prng } from '../helpers/random.js';
import { syntheticFrame } from '../sources/helpers.js';
import { chunks, mutate, validMessages } from './protocol-mutations.js';
import { expectMessages, expectStream, type Expectation } from './protocol-reference.js';
import { CASE_TIMEOUT_MS, SCALE, withinTime } from './scale.js';


const MAX_FRAME_BYTES = 16 * 1024;

/** What one receiver subscription got, by connection. */
class Received {
  readonly frames = new Map<number, LiveFrame[]>();
  readonly errors = new Map<number, Error>();
  port: Promise<number>;
  private resolvePort!: (port: number) => void;

  constructor() {
    this.port = new Promise((resolve) => (this.resolvePort = resolve));
  }

  readonly options = {
    policy: 'queue' as const,
    queueSize: 100_000,
    maxFrameBytes: MAX_FRAME_BYTES,
    onListening: ({ port }: { port: number }) => this.resolvePort(port),
    onConnectionError: (error: Error, connection: { connectionId: number }) => this.errors.set(connection.connectionId, error),
  };

  add(frame: LiveFrame): void {
    const connection = Number(String(frame.streamId).split(':')[0]);
    const list = this.frames.get(connection);
    if (list) list.push(frame);
    else this.frames.set(connection, [frame]);
  }

  framesOf(connection: number): LiveFrame[] {
    return this.frames.get(connection) ?? [];
  }
}

/** Differences between what a connection delivered and what the document says it must. */
function mismatch(received: Received, connection: number, expected: Expectation): string | undefined {
  const got = received.framesOf(connection);
  const error = received.errors.get(connection);
  if (expected.error !== (error !== undefined)) return `expected ${expected.error ? 'an error' : 'no error'}, got ${error ? `'${error.message}'` : 'none'}`;
  if (got.length !== expected.frames.length) return `expected ${expected.frames.length} frames, got ${got.length}`;
  // The receiver delivers streams round-robin: compare each stream's frames in order.
  for (const stream of new Set(expected.frames.map((f) => f.streamId))) {
    const want = expected.frames.filter((f) => f.streamId === stream);
    const have = got.filter((f) => f.streamId === `${connection}:${stream}`);
    if (have.length !== want.length) return `stream ${stream}: expected ${want.length} frames, got ${have.length}`;
    for (let k = 0; k < want.length; k++) {
      const [w, h] = [want[k]!, have[k]!];
      const same = w.width === h.width && w.height === h.height && w.channels === h.channels && Object.is(w.timestamp, h.timestamp) &&
        w.keyframe === (h.keyframe ?? false) && h.index === k && Buffer.from(w.payload).equals(Buffer.from(h.data));
      if (!same) return `stream ${stream} frame ${k} differs from the one sent`;
    }
  }
  return undefined;
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 1));
}

/** A peer that sends a valid frame every 5 ms on its own connection, and what it sent. */
function goodPeer(send: (bytes: Uint8Array) => void): { sent: () => number; stop: () => void } {
  let sent = 0;
  const timer = setInterval(() => send(encodeFrameMessage(syntheticFrame(sent++, 16, 12, 3), 9)), 5);
  return { sent: () => sent, stop: () => clearInterval(timer) };
}

function checkGoodPeer(t: Test, received: Received, connection: number, sent: number): void {
  const frames = received.framesOf(connection);
  t.equal(frames.length, sent, `the good peer's ${sent} frames all arrived`);
  t.ok(frames.every((frame, k) => frame.index === k && Buffer.from(frame.data).equals(Buffer.from(syntheticFrame(k, 16, 12, 3).data))), 'in order, intact');
  t.equal(received.errors.get(connection), undefined, 'and its connection was never closed');
}

/** What is kept of each case to re-check at the end that nothing arrived late. */
interface CaseRecord {
  readonly connection: number;
  readonly frames: number;
  readonly error: boolean;
  readonly what: string;
}

/** After the run: every connection still has exactly what it had when its case was checked. */
function lateArrivals(received: Received, records: readonly CaseRecord[], kind: string): string[] {
  return records
    .filter((r) => received.framesOf(r.connection).length !== r.frames || received.errors.has(r.connection) !== r.error)
    .map((r) => `${kind} case on connection ${r.connection} (${r.what}): later ${received.framesOf(r.connection).length} frames, error ${received.errors.has(r.connection)}`);
}

/** One fuzz case: send, wait until the receiver got what it must (or the time limit), then compare. */
async function runCase(received: Received, connection: number, expected: Expectation, what: string, send: () => Promise<void>, failures: string[], kind: string): Promise<void> {
  try {
    await withinTime(
      (async () => {
        await send();
        await until(() => received.framesOf(connection).length >= expected.frames.length && (!expected.error || received.errors.has(connection)));
      })(),
      CASE_TIMEOUT_MS,
      `${kind} case on connection ${connection} (${what})`,
    );
  } catch (error) {
    failures.push((error as Error).message);
    return;
  }
  const problem = mismatch(received, connection, expected);
  if (problem) failures.push(`${kind} case on connection ${connection} (${what}): ${problem}`);
}

t.test(`TCP: ${SCALE.tcpCases} fuzzed connections end as the protocol document says`, async (t) => {
  const received = new Received();
  const subscription = fromSocket(received.options).subscribe((frame) => received.add(frame));
  const port = await received.port;
  const open = (): Promise<Socket> =>
    new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => resolve(socket));
      socket.on('error', (error) => (socket.connecting ? reject(error) : undefined));
    });
  const good = await open();
  const peer = goodPeer((bytes) => good.write(bytes));
  const random = prng(1616);
  const started = Date.now();
  const failures: string[] = [];
  const records: CaseRecord[] = [];
  for (let k = 0; k < SCALE.tcpCases && Date.now() - started < SCALE.protocolBudgetMs; k++) {
    const messages = validMessages(random);
    const offsets = messages.map((_, j) => messages.slice(0, j).reduce((n, m) => n + m.length, 0));
    const { bytes, what } = mutate(random, Buffer.concat(messages), offsets);
    const expected = expectStream(bytes, MAX_FRAME_BYTES);
    const connection = k + 1; // the good peer is connection 0; cases connect one at a time
    await runCase(received, connection, expected, what, async () => {
      const socket = await open();
      const closed = new Promise((resolve) => socket.once('close', resolve));
      for (const piece of chunks(random, bytes)) {
        socket.write(piece);
        if (random() < 0.3) await nextTurn();
      }
      socket.end();
      await closed;
    }, failures, 'TCP');
    records.push({ connection, frames: expected.frames.length, error: expected.error, what });
  }
  await new Promise((resolve) => setTimeout(resolve, 300)); // anything late would show now
  peer.stop();
  const sent = peer.sent();
  await withinTime(until(() => received.framesOf(0).length >= sent), CASE_TIMEOUT_MS, 'the good peer').catch(() => undefined);
  failures.push(...lateArrivals(received, records, 'TCP'));
  const errors = records.filter((r) => r.error).length;
  t.same(failures.slice(0, 10), [], `${records.length} cases in ${Date.now() - started} ms: no mismatch, no hang (${failures.length} failures)`);
  checkGoodPeer(t, received, 0, sent);
  t.comment(`TCP fuzz: ${records.length} connections, ${records.length - errors} clean results, ${errors} clean errors, ${failures.length} failures; good peer ${sent} frames`);
  good.destroy();
  subscription.unsubscribe();
});

t.test(`WebSocket: ${SCALE.wsCases} fuzzed connections end as the protocol document says`, async (t) => {
  const received = new Received();
  const subscription = fromWebSocketServer(received.options).subscribe((frame) => received.add(frame));
  const port = await received.port;
  const open = (): Promise<WebSocket> =>
    new Promise((resolve, reject) => {
      const socket = new WebSocket(`ws://127.0.0.1:${port}/`);
      socket.once('open', () => resolve(socket));
      socket.on('error', (error) => (socket.readyState === WebSocket.CONNECTING ? reject(error) : undefined));
    });
  const good = await open();
  const peer = goodPeer((bytes) => good.send(bytes));
  const random = prng(1717);
  const started = Date.now();
  const failures: string[] = [];
  const records: CaseRecord[] = [];
  for (let k = 0; k < SCALE.wsCases && Date.now() - started < SCALE.protocolBudgetMs; k++) {
    const valid = validMessages(random);
    const target = Math.floor(random() * valid.length);
    const mutated = mutate(random, valid[target]!, [0]);
    const messages: (Uint8Array | string)[] = valid.map((m, j) => (j === target ? mutated.bytes : m));
    let what = `message ${target}: ${mutated.what}`;
    if (random() < 0.1) {
      messages.splice(Math.floor(random() * (messages.length + 1)), 0, 'a text message');
      what += ', plus a text message';
    }
    const expected = expectMessages(messages, MAX_FRAME_BYTES);
    const connection = k + 1;
    await runCase(received, connection, expected, what, async () => {
      const socket = await open();
      const closed = new Promise((resolve) => socket.once('close', resolve));
      for (const message of messages) socket.send(message, { binary: typeof message !== 'string' });
      socket.close(1000);
      await closed;
    }, failures, 'WebSocket');
    records.push({ connection, frames: expected.frames.length, error: expected.error, what });
  }
  await new Promise((resolve) => setTimeout(resolve, 300));
  peer.stop();
  const sent = peer.sent();
  await withinTime(until(() => received.framesOf(0).length >= sent), CASE_TIMEOUT_MS, 'the good peer').catch(() => undefined);
  failures.push(...lateArrivals(received, records, 'WebSocket'));
  const errors = records.filter((r) => r.error).length;
  t.same(failures.slice(0, 10), [], `${records.length} cases in ${Date.now() - started} ms: no mismatch, no hang (${failures.length} failures)`);
  checkGoodPeer(t, received, 0, sent);
  t.comment(`WebSocket fuzz: ${records.length} connections, ${records.length - errors} clean results, ${errors} clean errors, ${failures.length} failures; good peer ${sent} frames`);
  good.terminate();
  subscription.unsubscribe();
});
