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
import { ConnectionFrames } from './connection-frames.js';
import { encodeFrameHeader, FrameStreamParser, type FrameLimits } from './protocol.js';
import { connectTcp, createTcpServer } from './runtime.js';

export interface ConnectionInfo {
  /** 0, 1, 2, ... in order of connection, per subscription. */
  readonly connectionId: number;
  readonly remoteAddress?: string;
  readonly remotePort?: number;
}

export interface ReceiveOptions extends LivePolicyOptions, FrameLimits {
  /**
   * Called when one connection breaks the protocol, fails or ends inside a frame; that connection
   * is closed and the others keep going. Default: `console.warn`. (In client mode the error also
   * ends the Observable, since its one connection is gone.)
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
 * own pipeline. Live: see `LivePolicy` for what happens when the pipeline lags.
 *
 * Server mode runs until unsubscribed; client mode completes when the sender closes between
 * frames, and errors when the connection fails or breaks the protocol.
 */
export function fromSocket(options: SocketServerOptions | SocketClientOptions): Observable<LiveFrame> {
  return new Observable<LiveFrame>((subscriber) => {
    const capacity = liveBufferCapacity(options);
    if (typeof capacity === 'string') {
      subscriber.error(new Error(`fromSocket: ${capacity}`));
      return;
    }
    const delivery = new LiveDelivery(subscriber, capacity);
    const teardown = 'connect' in options ? receiveAsClient(options, delivery) : receiveAsServer(options, delivery, subscriber);
    return () => {
      teardown();
      delivery.close();
    };
  });
}

function receiveAsServer(options: SocketServerOptions, delivery: LiveDelivery, subscriber: Subscriber<LiveFrame>): () => void {
  const sockets = new Set<Socket>();
  const reportError = options.onConnectionError ?? warnConnectionError;
  let nextConnectionId = 0;
  const server = createTcpServer((socket) => {
    const connection: ConnectionInfo = { connectionId: nextConnectionId++, remoteAddress: socket.remoteAddress, remotePort: socket.remotePort };
    sockets.add(socket);
    options.onConnection?.(connection);
    receiveConnection(socket, connection, options, delivery, (error) => {
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

function receiveAsClient(options: SocketClientOptions, delivery: LiveDelivery): () => void {
  const { port, host = '127.0.0.1' } = options.connect;
  const socket = connectTcp(port, host);
  let connected = false;
  socket.once('connect', () => (connected = true));
  receiveConnection(socket, { connectionId: 0 }, options, delivery, (error) => {
    if (!error) return delivery.end();
    options.onConnectionError?.(error, { connectionId: 0 });
    delivery.end(
      connected ? error : new Error(`fromSocket: cannot connect to ${host}:${port} (${error.message}): expected a frame sender listening there`, { cause: error }),
    );
  });
  return () => socket.destroy();
}

/** Parses one connection's bytes into frames for `delivery`; `onClose` gets the reason it ended. */
function receiveConnection(
  socket: Socket,
  connection: ConnectionInfo,
  limits: FrameLimits,
  delivery: LiveDelivery,
  onClose: (error?: Error) => void,
): void {
  const parser = new FrameStreamParser(limits);
  const frames = new ConnectionFrames(connection.connectionId);
  let failure: Error | undefined;
  socket.on('data', (chunk: Uint8Array) => {
    const parsed = parser.push(chunk);
    for (const wireFrame of parsed.frames) {
      const frame = frames.toFrame(wireFrame);
      delivery.offer(frame.streamId, frame);
    }
    const error = parsed.error;
    if (error && !failure) {
      failure = error;
      socket.destroy();
    }
  });
  socket.on('error', (error) => (failure ??= error));
  socket.on('close', () => {
    failure ??= parser.finish();
    for (const streamId of frames.streamIds()) delivery.forget(streamId);
    onClose(failure);
  });
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
   * water mark and `drain` is pending): `'queue'` (default) keeps them, up to `queueSize`
   * (default unlimited: nothing is lost); `'latest'` keeps only the newest.
   */
  readonly policy?: 'latest' | 'queue';
  readonly queueSize?: number;
  /** The header's stream id; default the frame's `streamId` when it is a u32 integer, else 0. */
  readonly streamId?: number;
}

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
      const capacity = sendBufferCapacity(options);
      if (typeof capacity === 'string') {
        subscriber.error(new Error(`toSocket: ${capacity}`));
        return;
      }
      const writers = new Set<FrameWriter>();
      let server: Server | undefined;
      const fail = (error: Error) => subscriber.error(error);
      if ('listen' in target) {
        server = createTcpServer((socket) => {
          const writer = new FrameWriter(socket, capacity, options.streamId);
          writers.add(writer);
          // A receiver that goes away is that receiver's business: the others keep receiving.
          socket.on('error', () => undefined);
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
        writers.add(new FrameWriter(socket, capacity, options.streamId));
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

/** Like the receiving sources' capacity, but a sender's queue is unbounded unless limited. */
function sendBufferCapacity(options: SendOptions): number | string {
  if (options.policy === 'queue' || options.policy === undefined) {
    return options.queueSize === undefined ? Infinity : liveBufferCapacity({ policy: 'queue', queueSize: options.queueSize });
  }
  return liveBufferCapacity({ policy: options.policy });
}

/** Writes frames to one socket, holding them in a policy buffer while the socket is congested. */
class FrameWriter {
  private readonly pending: LiveFrameBuffer;
  private congested = false;

  constructor(
    private readonly socket: Socket,
    capacity: number,
    private readonly streamId: number | undefined,
  ) {
    this.pending = new LiveFrameBuffer(capacity);
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
