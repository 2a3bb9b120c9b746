/**
 * Frames over TCP in the rx-rrm frame protocol (protocol.ts, docs/frame-protocol.md).
 *
 * `fromSocket` receives: as a server (any number of senders, one stream each) or as a client of a
 * sender that listens. `toSocket` sends: to a receiver that listens, or to every receiver that
 * connects to it.
 */
import type { Server, Socket } from 'node:net';
import { Observable, type OperatorFunction, type Subscriber } from 'rxjs';
import type { Frame } from '../types.js';
import { LiveDelivery, LiveFrameBuffer, liveBufferCapacity, type LiveFrame, type LivePolicyOptions } from './live-policy.js';
import { ConnectionFrames, connectionOfStream } from './connection-frames.js';
import { ConnectionTimers } from './connection-timers.js';
import { encodeFrameHeader, FrameStreamParser } from './protocol.js';
import { ReceiveBudget } from './receive-budget.js';
import { ReceiveLimitError, resolveReceiveLimits, type ReceiveLimits, type ResolvedReceiveLimits } from './receive-limits.js';
import { connectTcp, createTcpServer } from './runtime.js';

export interface ConnectionInfo {
  /** 0, 1, 2, ... in order of connection, per subscription. */
  readonly connectionId: number;
  readonly remoteAddress?: string;
  readonly remotePort?: number;
}

export interface ReceiveOptions extends LivePolicyOptions, ReceiveLimits {
  /**
   * Called when one connection breaks the protocol, goes over a limit (`ReceiveLimitError`), fails
   * or ends inside a frame; that connection is closed and the others keep going. Default:
   * `console.warn`. (In client mode the error also ends the Observable, since its one connection is gone.)
   */
  readonly onConnectionError?: (error: Error, connection: ConnectionInfo) => void;
}

export interface SocketServerOptions extends ReceiveOptions {
  /** Port to listen on; 0 (default) picks a free one, reported through `onListening`. */
  readonly port?: number;
  /** Default `127.0.0.1`: listening on other interfaces is an explicit choice. */
  readonly host?: string;
  readonly onListening?: (address: { host: string; port: number }) => void;
  readonly onConnection?: (connection: ConnectionInfo) => void;
}

export interface SocketClientOptions extends ReceiveOptions {
  /** A sender listening there (`toSocket({ listen: ... })`). */
  readonly connect: { readonly port: number; readonly host?: string };
}

/**
 * Frames received over TCP. Each connection's frames get `streamId` `"<connectionId>:<sender's
 * stream id>"` and their own `index` from 0, so `groupBy(f => f.streamId)` gives every sender its
 * own pipeline. Live: see `LivePolicy` for what happens when the pipeline lags, and
 * `ReceiveLimits` for what a peer may make the receiver hold.
 *
 * Server mode runs until unsubscribed; client mode completes when the sender closes between
 * frames, and errors when the connection fails, stalls (`idleTimeoutMs`) or breaks the protocol.
 */
export function fromSocket(options: SocketServerOptions | SocketClientOptions): Observable<LiveFrame> {
  return new Observable<LiveFrame>((subscriber) => {
    const receiver = openReceiver('fromSocket', options, subscriber);
    if (!receiver) return;
    const teardown = 'connect' in options ? receiveAsClient(options, receiver) : receiveAsServer(options, receiver, subscriber);
    return () => {
      teardown();
      receiver.delivery.close();
    };
  });
}

/** What every receiving subscription holds: its limits, its byte and stream budget, its delivery. */
export interface Receiver {
  readonly limits: ResolvedReceiveLimits;
  readonly budget: ReceiveBudget;
  readonly delivery: LiveDelivery;
}

/** Checks the options and sets up one subscription's receiver; `undefined` after erroring the subscriber. */
export function openReceiver(source: string, options: ReceiveOptions, subscriber: Subscriber<LiveFrame>): Receiver | undefined {
  const capacity = liveBufferCapacity(options);
  const limits = resolveReceiveLimits(options);
  const problem = typeof capacity === 'string' ? capacity : typeof limits === 'string' ? limits : undefined;
  if (problem !== undefined) {
    subscriber.error(new Error(`${source}: ${problem}`));
    return undefined;
  }
  const budget = new ReceiveBudget(limits as ResolvedReceiveLimits);
  const delivery = new LiveDelivery(subscriber, capacity as number);
  budget.evictWaiting = (connectionId, bytes) => delivery.evictWaiting(bytes, (streamKey) => connectionOfStream(streamKey) === connectionId);
  return { limits: limits as ResolvedReceiveLimits, budget, delivery };
}

/** Refuses a connection over `maxConnections`; returns the error to report, or undefined to accept it. */
export function connectionOverLimit(open: number, limits: ResolvedReceiveLimits): ReceiveLimitError | undefined {
  if (open < limits.maxConnections) return undefined;
  return new ReceiveLimitError('maxConnections', `the server already holds ${open} connections, maxConnections = ${limits.maxConnections}: connection refused`);
}

function receiveAsServer(options: SocketServerOptions, receiver: Receiver, subscriber: Subscriber<LiveFrame>): () => void {
  const sockets = new Set<Socket>();
  const reportError = options.onConnectionError ?? warnConnectionError;
  let nextConnectionId = 0;
  const server = createTcpServer((socket) => {
    const connection: ConnectionInfo = { connectionId: nextConnectionId++, remoteAddress: socket.remoteAddress, remotePort: socket.remotePort };
    const refused = connectionOverLimit(sockets.size, receiver.limits);
    if (refused) {
      socket.on('error', () => undefined);
      socket.destroy();
      reportError(refused, connection);
      return;
    }
    sockets.add(socket);
    options.onConnection?.(connection);
    receiveConnection(socket, connection, receiver, (error) => {
      sockets.delete(socket);
      if (error) reportError(error, connection);
    });
  });
  server.on('error', (error) => {
    subscriber.error(new Error(`fromSocket: cannot listen on ${options.host ?? '127.0.0.1'}:${options.port ?? 0} (${error.message})`, { cause: error }));
  });
  server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
    const address = server.address();
    if (address && typeof address === 'object') options.onListening?.({ host: address.address, port: address.port });
  });
  return () => closeServer(server, sockets);
}

function receiveAsClient(options: SocketClientOptions, receiver: Receiver): () => void {
  const { port, host = '127.0.0.1' } = options.connect;
  const socket = connectTcp(port, host);
  let connected = false;
  socket.once('connect', () => (connected = true));
  receiveConnection(socket, { connectionId: 0 }, receiver, (error) => {
    if (!error) return receiver.delivery.end();
    options.onConnectionError?.(error, { connectionId: 0 });
    receiver.delivery.end(
      connected ? error : new Error(`fromSocket: cannot connect to ${host}:${port} (${error.message}): expected a frame sender listening there`, { cause: error }),
    );
  });
  return () => socket.destroy();
}

/**
 * Parses one connection's bytes into frames for the delivery, within the receiver's limits (each
 * checked before the payload it concerns is allocated); `onClose` gets the reason it ended.
 */
function receiveConnection(socket: Socket, connection: ConnectionInfo, receiver: Receiver, onClose: (error?: Error) => void): void {
  const { limits, budget, delivery } = receiver;
  const id = connection.connectionId;
  const frames = new ConnectionFrames(id);
  let failure: Error | undefined;
  const fail = (error: Error) => {
    failure ??= error;
    parser.abandon(error);
    socket.destroy();
  };
  budget.join(id, fail);
  const timers = new ConnectionTimers(limits, fail);
  const parser: FrameStreamParser = new FrameStreamParser({
    maxFrameBytes: limits.maxFrameBytes,
    admit: (header) => admitStream(frames, budget, id, header.streamId) ?? budget.claim(id, header.payloadBytes),
  });
  socket.on('data', (chunk: Uint8Array) => {
    if (failure) return;
    timers.activity();
    if (parser.atFrameBoundary) timers.frameStarted();
    const parsed = parser.push(chunk);
    for (const wireFrame of parsed.frames) {
      budget.settle(id, wireFrame.payload.length);
      const frame = frames.toFrame(wireFrame);
      delivery.offer(frame.streamId, frame, budget.accountOf(id));
    }
    if (parsed.error) return fail(parsed.error);
    if (parser.atFrameBoundary) return timers.frameDone();
    if (parsed.frames.length > 0) timers.frameStarted(); // a new frame began inside this chunk
    if (parser.inPayload) timers.headerDone();
  });
  socket.on('error', (error) => (failure ??= error));
  socket.on('close', () => {
    timers.stop();
    failure ??= parser.finish();
    parser.abandon(failure ?? new Error('closed'));
    budget.leave(id);
    for (const streamId of frames.streamIds()) delivery.forget(streamId);
    onClose(failure);
  });
}

/** A header of a stream this connection has not used yet takes a stream from the budget first. */
export function admitStream(frames: ConnectionFrames, budget: ReceiveBudget, connectionId: number, wireStreamId: number): ReceiveLimitError | undefined {
  if (!frames.addStream(wireStreamId)) return undefined;
  const refused = budget.addStream(connectionId, wireStreamId);
  if (refused) frames.dropStream(wireStreamId);
  return refused;
}

export function warnConnectionError(error: Error, connection: ConnectionInfo): void {
  console.warn(`fromSocket: closed connection ${connection.connectionId} from ${connection.remoteAddress}:${connection.remotePort}: ${error.message}`);
}

function closeServer(server: Server, sockets: Set<Socket>): void {
  server.close();
  for (const socket of sockets) socket.destroy();
  sockets.clear();
}

export interface SendOptions {
  /**
   * What happens to frames while a receiver's socket is congested (its buffer is over the high
   * water mark and `drain` is pending): `'queue'` (default) keeps them, up to `queueSize` frames
   * (default no count limit) and `maxQueueBytes` of payload; `'latest'` keeps only the newest.
   * Either way the oldest frames go first, and `onDrop` hears of each.
   */
  readonly policy?: 'latest' | 'queue';
  readonly queueSize?: number;
  /** Payload bytes queued per receiver while congested; default 64 MiB (the newest frame is always kept). */
  readonly maxQueueBytes?: number;
  /**
   * Called for each frame a congested receiver's queue discarded, with that receiver's number (0,
   * 1, ... in order of connection) and its total so far. Default: one `console.warn` per receiver
   * at its first drop.
   */
  readonly onDrop?: (drop: SendDrop) => void;
  /** Listening senders: receivers served at once; more are closed on arrival; default 64. */
  readonly maxConnections?: number;
  /** The header's stream id; default the frame's `streamId` when it is a u32 integer, else 0. */
  readonly streamId?: number;
}

/** A frame `toSocket` discarded because a receiver could not keep up. */
export interface SendDrop {
  readonly frame: Frame;
  /** The receiver: 0, 1, ... in order of connection (0 for a `{ port }` target). */
  readonly receiver: number;
  /** Frames discarded for this receiver so far, this one included. */
  readonly droppedTotal: number;
}

export const DEFAULT_MAX_QUEUE_BYTES = 64 * 1024 * 1024;
const DEFAULT_MAX_RECEIVERS = 64;

export type SocketTarget =
  | { readonly port: number; readonly host?: string }
  | { readonly listen: { readonly port?: number; readonly host?: string }; readonly onListening?: (address: { host: string; port: number }) => void };

/**
 * Sends every frame in the frame protocol and passes it on unchanged. `{ port, host }` connects
 * to a receiver (`fromSocket({ port })`); `{ listen: { port } }` serves every receiver that
 * connects (`fromSocket({ connect: ... })`), each from the frame after it joined. Writes honour
 * socket backpressure: nothing is written while `drain` is pending (see `policy`). When the
 * source completes, the output completes after every socket has flushed and closed; unsubscribing
 * closes them at once.
 */
export function toSocket(target: SocketTarget, options: SendOptions = {}): OperatorFunction<Frame, Frame> {
  return (frames) =>
    new Observable<Frame>((subscriber) => {
      const queue = sendQueueLimits(options);
      if (typeof queue === 'string') {
        subscriber.error(new Error(`toSocket: ${queue}`));
        return;
      }
      const writers = new Set<FrameWriter>();
      let server: Server | undefined;
      let nextReceiver = 0;
      const fail = (error: Error) => subscriber.error(error);
      const report = options.onDrop ?? warnFirstDrop();
      if ('listen' in target) {
        server = createTcpServer((socket) => {
          // A receiver that goes away is that receiver's business: the others keep receiving.
          socket.on('error', () => undefined);
          if (writers.size >= queue.maxConnections) {
            socket.destroy();
            return;
          }
          const writer = new FrameWriter(socket, queue, nextReceiver++, report, options.streamId);
          writers.add(writer);
          socket.on('close', () => writers.delete(writer));
        });
        server.on('error', (error) => fail(new Error(`toSocket: cannot listen (${error.message})`, { cause: error })));
        server.listen(target.listen.port ?? 0, target.listen.host ?? '127.0.0.1', () => {
          const address = server!.address();
          if (address && typeof address === 'object') target.onListening?.({ host: address.address, port: address.port });
        });
      } else {
        const host = target.host ?? '127.0.0.1';
        const socket = connectTcp(target.port, host);
        writers.add(new FrameWriter(socket, queue, nextReceiver++, report, options.streamId));
        socket.on('error', (error) => fail(new Error(`toSocket: connection to ${host}:${target.port} failed (${error.message})`, { cause: error })));
      }
      const upstream = frames.subscribe({
        next: (frame) => {
          try {
            for (const writer of writers) writer.offer(frame);
          } catch (error) {
            return fail(error as Error);
          }
          subscriber.next(frame);
        },
        error: fail,
        complete: () => {
          server?.close();
          Promise.all(Array.from(writers, (writer) => writer.finish())).then(() => subscriber.complete(), fail);
        },
      });
      return () => {
        upstream.unsubscribe();
        server?.close();
        for (const writer of writers) writer.destroy();
      };
    });
}

interface SendQueueLimits {
  readonly capacity: number;
  readonly maxBytes: number;
  readonly maxConnections: number;
}

/** The sender's queue limits, or a message naming the bad option. */
function sendQueueLimits(options: SendOptions): SendQueueLimits | string {
  let capacity: number | string;
  if (options.policy === 'queue' || options.policy === undefined) {
    capacity = options.queueSize === undefined ? Infinity : liveBufferCapacity({ policy: 'queue', queueSize: options.queueSize });
  } else {
    capacity = liveBufferCapacity({ policy: options.policy });
  }
  if (typeof capacity === 'string') return capacity;
  const maxBytes = options.maxQueueBytes ?? DEFAULT_MAX_QUEUE_BYTES;
  if (!(Number.isSafeInteger(maxBytes) && maxBytes >= 1)) return `maxQueueBytes must be an integer ≥ 1, got ${maxBytes}`;
  const maxConnections = options.maxConnections ?? DEFAULT_MAX_RECEIVERS;
  if (!(Number.isSafeInteger(maxConnections) && maxConnections >= 1)) return `maxConnections must be an integer ≥ 1, got ${maxConnections}`;
  return { capacity, maxBytes, maxConnections };
}

/** The default drop report: one warning per receiver, at its first drop (every drop would flood the log). */
function warnFirstDrop(): (drop: SendDrop) => void {
  return ({ receiver, droppedTotal }) => {
    if (droppedTotal === 1) console.warn(`toSocket: receiver ${receiver} is slower than the frames; dropping the oldest queued frames (pass onDrop to count them)`);
  };
}

/** Writes frames to one socket, holding them in a policy buffer while the socket is congested. */
class FrameWriter {
  private readonly pending: LiveFrameBuffer;
  private congested = false;
  private dropped = 0;

  constructor(
    private readonly socket: Socket,
    limits: SendQueueLimits,
    receiver: number,
    onDrop: (drop: SendDrop) => void,
    private readonly streamId: number | undefined,
  ) {
    this.pending = new LiveFrameBuffer(limits.capacity, {
      maxBytes: limits.maxBytes,
      onDiscard: (frame) => onDrop({ frame, receiver, droppedTotal: ++this.dropped }),
    });
    // Not writable until connected: node buffers writes meanwhile, so treat connecting as congested.
    this.congested = socket.connecting;
    socket.once('connect', () => this.resume());
    socket.on('drain', () => this.resume());
  }

  /** Validates and queues `frame`; throws when it cannot be encoded. */
  offer(frame: Frame): void {
    // Encoding validates: do it now so a bad frame errors at its own `next`, not at a later drain.
    encodeFrameHeader(frame, this.streamId);
    this.pending.offer(frame);
    this.pump();
  }

  /** Writes what is pending, then ends the socket; resolves once it closed. */
  finish(): Promise<void> {
    return new Promise((resolve, reject) => {
      const endWhenFlushed = () => {
        if (this.pending.size > 0) return;
        this.socket.off('drain', endWhenFlushed);
        this.socket.off('connect', endWhenFlushed);
        this.socket.end();
      };
      this.socket.once('close', (hadError) => (hadError ? reject(new Error('toSocket: the connection failed before all frames were sent')) : resolve()));
      if (this.socket.destroyed) return resolve();
      this.socket.on('drain', endWhenFlushed);
      this.socket.on('connect', endWhenFlushed);
      if (!this.congested) endWhenFlushed();
    });
  }

  destroy(): void {
    this.socket.destroy();
  }

  private resume(): void {
    this.congested = false;
    this.pump();
  }

  private pump(): void {
    while (!this.congested && !this.socket.destroyed) {
      const frame = this.pending.take();
      if (!frame) return;
      this.socket.write(encodeFrameHeader(frame, this.streamId));
      this.congested = !this.socket.write(frame.data);
    }
  }
}
