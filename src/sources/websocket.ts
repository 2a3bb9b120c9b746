/**
 * Frames over WebSocket: the frame protocol's header and payload as one binary message per frame
 * (a browser page can send its camera this way). Same streams, policies and error reporting as
 * `fromSocket`.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { Observable } from 'rxjs';
import WebSocket, { WebSocketServer, type RawData } from 'ws';
import { ConnectionFrames } from './connection-frames.js';
import { ConnectionTimers } from './connection-timers.js';
import type { LiveFrame } from './live-policy.js';
import { decodeFrameHeader, decodeFrameMessage, FRAME_HEADER_BYTES, FrameProtocolError } from './protocol.js';
import { ReceiveLimitError, type ResolvedReceiveLimits } from './receive-limits.js';
import { admitStream, connectionOverLimit, openReceiver, warnConnectionError, type ConnectionInfo, type ReceiveOptions, type Receiver } from './socket.js';

export interface WebSocketServerOptions extends ReceiveOptions {
  /** Port to listen on; 0 (default) picks a free one, reported through `onListening`. */
  readonly port?: number;
  /** Default `127.0.0.1`. */
  readonly host?: string;
  /** Accept connections on this path only; default any. */
  readonly path?: string;
  readonly onListening?: (address: { host: string; port: number }) => void;
  readonly onConnection?: (connection: ConnectionInfo) => void;
}

/**
 * Frames from a WebSocket server that sends them; completes when it closes normally, errors when
 * it fails, breaks the protocol or stalls (`idleTimeoutMs`).
 */
export function fromWebSocket(url: string, options: ReceiveOptions = {}): Observable<LiveFrame> {
  return new Observable<LiveFrame>((subscriber) => {
    const receiver = openReceiver('fromWebSocket', options, subscriber);
    if (!receiver) return;
    const socket = new WebSocket(url, { maxPayload: maxMessageBytes(receiver.limits) });
    let opened = false;
    socket.once('open', () => (opened = true));
    const watch = receiveMessages(socket, { connectionId: 0 }, receiver, (error) => {
      if (!error) return receiver.delivery.end();
      options.onConnectionError?.(error, { connectionId: 0 });
      receiver.delivery.end(opened ? error : new Error(`fromWebSocket: cannot connect to ${url} (${error.message}): expected a WebSocket server sending frames`, { cause: error }));
    });
    socket.once('upgrade', (response: IncomingMessage) => watch(response.socket as Socket));
    return () => {
      socket.terminate();
      receiver.delivery.close();
    };
  });
}

/** A WebSocket server: every connection is a sender with its own streams (`"<connection>:<id>"`). */
export function fromWebSocketServer(options: WebSocketServerOptions = {}): Observable<LiveFrame> {
  return new Observable<LiveFrame>((subscriber) => {
    const receiver = openReceiver('fromWebSocketServer', options, subscriber);
    if (!receiver) return;
    const { limits } = receiver;
    const reportError = options.onConnectionError ?? warnConnectionError;
    const host = options.host ?? '127.0.0.1';
    // Our own HTTP server, so that connections that never upgrade are bounded too: by count
    // (maxConnections, refused on arrival) and by the time their request headers may take.
    // Node checks request-header deadlines on a timer (30 s by default): often enough for ours.
    const http = createServer({ connectionsCheckingInterval: Math.max(100, Math.min(30_000, limits.headerTimeoutMs / 2)) });
    http.maxConnections = limits.maxConnections;
    http.headersTimeout = Math.min(limits.headerTimeoutMs, 2 ** 31 - 1);
    http.requestTimeout = Math.min(limits.frameTimeoutMs, 2 ** 31 - 1);
    const server = new WebSocketServer({ server: http, maxPayload: maxMessageBytes(limits), ...(options.path ? { path: options.path } : {}) });
    let nextConnectionId = 0;
    http.on('drop', (dropped?: { remoteAddress?: string; remotePort?: number }) => {
      const connection: ConnectionInfo = { connectionId: nextConnectionId++, remoteAddress: dropped?.remoteAddress, remotePort: dropped?.remotePort };
      reportError(connectionOverLimit(limits.maxConnections, limits)!, connection);
    });
    // What ws's own server answers a plain HTTP request: 426 Upgrade Required.
    http.on('request', (_request, response) => response.writeHead(426, { 'Content-Type': 'text/plain' }).end('Upgrade Required'));
    http.on('listening', () => {
      const address = http.address();
      if (address && typeof address === 'object') options.onListening?.({ host: address.address, port: address.port });
    });
    http.on('error', (error) => subscriber.error(new Error(`fromWebSocketServer: cannot listen on ${host}:${options.port ?? 0} (${error.message})`, { cause: error })));
    server.on('error', () => undefined); // re-emitted http errors, reported above
    server.on('connection', (socket, request) => {
      const connection: ConnectionInfo = { connectionId: nextConnectionId++, remoteAddress: request.socket.remoteAddress, remotePort: request.socket.remotePort };
      options.onConnection?.(connection);
      const watch = receiveMessages(socket, connection, receiver, (error) => error && reportError(error, connection));
      watch(request.socket as Socket);
    });
    http.listen(options.port ?? 0, host);
    return () => {
      for (const client of server.clients) client.terminate();
      server.close();
      http.close();
      http.closeAllConnections?.();
      receiver.delivery.close();
    };
  });
}

/** ws rejects larger messages before buffering them, so the limit holds before allocation. */
function maxMessageBytes(limits: ResolvedReceiveLimits): number {
  return limits.maxFrameBytes + FRAME_HEADER_BYTES;
}

/** Bytes of WebSocket framing around a binary message of `length` bytes, masked (client to server) or not. */
function framingBytes(length: number): number {
  return 2 + (length > 65535 ? 8 : length > 125 ? 2 : 0) + 4;
}

/**
 * Receives one connection's messages as frames. Returns `watch(rawSocket)`, which starts the byte
 * accounting: ws buffers a message until it is complete, so the bytes received since the last
 * message are claimed from the budget as they arrive (before ws buffers them) and settled when
 * the message is out; the same bytes drive the idle and frame clocks.
 */
function receiveMessages(socket: WebSocket, connection: ConnectionInfo, receiver: Receiver, onClose: (error?: Error) => void): (raw: Socket) => void {
  const { limits, budget, delivery } = receiver;
  const id = connection.connectionId;
  const frames = new ConnectionFrames(id);
  let failure: Error | undefined;
  const fail = (error: Error) => {
    if (failure) return;
    failure = error;
    socket.terminate();
  };
  budget.join(id, fail);
  const timers = new ConnectionTimers(limits, fail);
  const largestMessage = maxMessageBytes(limits) + framingBytes(maxMessageBytes(limits));
  let unsettled = 0; // raw bytes since the last complete message
  let claimed = 0;
  const consumed = (bytes: number) => {
    unsettled = Math.max(0, unsettled - bytes);
    const keep = Math.min(unsettled, largestMessage);
    budget.settle(id, claimed - keep);
    claimed = keep;
    if (unsettled === 0) timers.frameDone();
  };
  socket.on('message', (message: RawData, isBinary: boolean) => {
    const bytes = asBytes(message);
    consumed(bytes.length + framingBytes(bytes.length));
    if (failure) return;
    // The header first: a new stream over the limits is refused before the payload is copied out.
    const header = isBinary ? decodeFrameHeader(bytes, limits.maxFrameBytes) : new FrameProtocolError('received a text message: expected binary messages, one frame each');
    const admitted = header instanceof FrameProtocolError ? header : admitStream(frames, budget, id, header.streamId);
    const decoded = admitted ?? decodeFrameMessage(bytes, limits.maxFrameBytes);
    if (decoded instanceof Error) {
      failure = decoded;
      socket.close(decoded instanceof ReceiveLimitError ? 1008 : 1003, decoded.message.slice(0, 120)); // 1008: policy violation, 1003: unsupported data
      return;
    }
    const frame = frames.toFrame(decoded);
    delivery.offer(frame.streamId, frame, budget.accountOf(id));
  });
  socket.on('ping', (data: Buffer) => consumed(data.length + framingBytes(data.length)));
  socket.on('pong', (data: Buffer) => consumed(data.length + framingBytes(data.length)));
  socket.on('error', (error) => (failure ??= error));
  socket.on('close', (code, reason) => {
    timers.stop();
    if (!failure && code !== 1000 && code !== 1001 && code !== 1005) {
      failure = new Error(`connection closed with code ${code}${reason.length ? ` (${reason.toString()})` : ''}`);
    }
    budget.leave(id);
    for (const streamId of frames.streamIds()) delivery.forget(streamId);
    onClose(failure);
  });
  return (raw) => {
    // Before ws's own listener: the bytes are claimed before ws buffers them.
    raw.prependListener('data', (chunk: Buffer) => {
      if (failure) return;
      timers.activity();
      if (unsettled === 0) timers.frameStarted();
      unsettled += chunk.length;
      if (unsettled >= FRAME_HEADER_BYTES + framingBytes(largestMessage)) timers.headerDone();
      const want = Math.min(unsettled, largestMessage);
      if (want <= claimed) return;
      const refused = budget.claim(id, want - claimed);
      if (refused) return fail(refused);
      claimed = want;
    });
  };
}

function asBytes(message: RawData): Uint8Array {
  if (Array.isArray(message)) return Buffer.concat(message);
  return message instanceof ArrayBuffer ? new Uint8Array(message) : message;
}
