/**
 * Frames over WebSocket: the frame protocol's header and payload as one binary message per frame
 * (a browser page can send its camera this way). Same streams, policies and error reporting as
 * `fromSocket`.
 */
import { Observable } from 'rxjs';
import WebSocket, { WebSocketServer, type RawData } from 'ws';
import { ConnectionFrames } from './connection-frames.js';
import { LiveDelivery, liveBufferCapacity, type LiveFrame } from './live-policy.js';
import { decodeFrameMessage, DEFAULT_MAX_FRAME_BYTES, FRAME_HEADER_BYTES, FrameProtocolError } from './protocol.js';
import { warnConnectionError, type ConnectionInfo, type ReceiveOptions } from './socket.js';

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

/** Frames from a WebSocket server that sends them; completes when it closes normally. */
export function fromWebSocket(url: string, options: ReceiveOptions = {}): Observable<LiveFrame> {
  return new Observable<LiveFrame>((subscriber) => {
    const capacity = liveBufferCapacity(options);
    if (typeof capacity === 'string') {
      subscriber.error(new Error(`fromWebSocket: ${capacity}`));
      return;
    }
    const delivery = new LiveDelivery(subscriber, capacity);
    const socket = new WebSocket(url, { maxPayload: maxMessageBytes(options) });
    let opened = false;
    socket.once('open', () => (opened = true));
    receiveMessages(socket, { connectionId: 0 }, options, delivery, (error) => {
      if (!error) return delivery.end();
      options.onConnectionError?.(error, { connectionId: 0 });
      delivery.end(opened ? error : new Error(`fromWebSocket: cannot connect to ${url} (${error.message}): expected a WebSocket server sending frames`, { cause: error }));
    });
    return () => {
      socket.terminate();
      delivery.close();
    };
  });
}

/** A WebSocket server: every connection is a sender with its own streams (`"<connection>:<id>"`). */
export function fromWebSocketServer(options: WebSocketServerOptions = {}): Observable<LiveFrame> {
  return new Observable<LiveFrame>((subscriber) => {
    const capacity = liveBufferCapacity(options);
    if (typeof capacity === 'string') {
      subscriber.error(new Error(`fromWebSocketServer: ${capacity}`));
      return;
    }
    const delivery = new LiveDelivery(subscriber, capacity);
    const reportError = options.onConnectionError ?? warnConnectionError;
    const host = options.host ?? '127.0.0.1';
    const server = new WebSocketServer({ port: options.port ?? 0, host, maxPayload: maxMessageBytes(options), ...(options.path ? { path: options.path } : {}) });
    let nextConnectionId = 0;
    server.on('listening', () => {
      const address = server.address();
      if (address && typeof address === 'object') options.onListening?.({ host: address.address, port: address.port });
    });
    server.on('error', (error) => subscriber.error(new Error(`fromWebSocketServer: cannot listen on ${host}:${options.port ?? 0} (${error.message})`, { cause: error })));
    server.on('connection', (socket, request) => {
      const connection: ConnectionInfo = { connectionId: nextConnectionId++, remoteAddress: request.socket.remoteAddress, remotePort: request.socket.remotePort };
      options.onConnection?.(connection);
      receiveMessages(socket, connection, options, delivery, (error) => error && reportError(error, connection));
    });
    return () => {
      for (const client of server.clients) client.terminate();
      server.close();
      delivery.close();
    };
  });
}

/** ws rejects larger messages before buffering them, so the limit holds before allocation. */
function maxMessageBytes(options: ReceiveOptions): number {
  return (options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES) + FRAME_HEADER_BYTES;
}

function receiveMessages(socket: WebSocket, connection: ConnectionInfo, options: ReceiveOptions, delivery: LiveDelivery, onClose: (error?: Error) => void): void {
  const frames = new ConnectionFrames(connection.connectionId);
  let failure: Error | undefined;
  socket.on('message', (message: RawData, isBinary: boolean) => {
    if (failure) return;
    const decoded = isBinary
      ? decodeFrameMessage(asBytes(message), options.maxFrameBytes)
      : new FrameProtocolError('received a text message: expected binary messages, one frame each');
    if (decoded instanceof FrameProtocolError) {
      failure = decoded;
      socket.close(1003, decoded.message.slice(0, 120)); // 1003: unsupported data
      return;
    }
    const frame = frames.toFrame(decoded);
    delivery.offer(frame.streamId, frame);
  });
  socket.on('error', (error) => (failure ??= error));
  socket.on('close', (code, reason) => {
    if (!failure && code !== 1000 && code !== 1001 && code !== 1005) {
      failure = new Error(`connection closed with code ${code}${reason.length ? ` (${reason.toString()})` : ''}`);
    }
    for (const streamId of frames.streamIds()) delivery.forget(streamId);
    onClose(failure);
  });
}

function asBytes(message: RawData): Uint8Array {
  if (Array.isArray(message)) return Buffer.concat(message);
  return message instanceof ArrayBuffer ? new Uint8Array(message) : message;
}
