/**
 * `fromWebSocket(url)` in a browser: the same protocol, policies and errors as the Node version
 * (src/sources/websocket.ts, which uses the `ws` package), over the browser's own `WebSocket`.
 * One difference: a browser receives a whole message before the page sees it, so `maxFrameBytes`
 * is checked on arrival, before the frame is decoded, not before the bytes are buffered.
 */
import { Observable } from 'rxjs';
import { ConnectionFrames } from '../../sources/connection-frames.js';
import { LiveDelivery, liveBufferCapacity, type LiveFrame } from '../../sources/live-policy.js';
import { decodeFrameMessage, DEFAULT_MAX_FRAME_BYTES, FRAME_HEADER_BYTES, FrameProtocolError } from '../../sources/protocol.js';
import type { ReceiveOptions } from '../../sources/socket.js';

/** Frames from a WebSocket server that sends them, one binary message each; completes when it closes normally. */
export function fromWebSocket(url: string | URL, options: ReceiveOptions = {}): Observable<LiveFrame> {
  return new Observable<LiveFrame>((subscriber) => {
    const capacity = liveBufferCapacity(options);
    if (typeof capacity === 'string') {
      subscriber.error(new Error(`fromWebSocket: ${capacity}`));
      return;
    }
    let socket: WebSocket;
    try {
      socket = new WebSocket(url);
    } catch (error) {
      subscriber.error(new Error(`fromWebSocket: cannot connect to ${String(url)} (${(error as Error).message}): expected a ws:// or wss:// URL`, { cause: error }));
      return;
    }
    socket.binaryType = 'arraybuffer';
    const delivery = new LiveDelivery(subscriber, capacity);
    const frames = new ConnectionFrames(0);
    const maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
    let opened = false;
    let failure: Error | undefined;
    const fail = (error: FrameProtocolError) => {
      failure = error;
      // A page may close only with 1000 or 3000-4999: 4003 stands for the protocol's 1003 (unsupported data).
      socket.close(4003, error.message.slice(0, 120));
      end();
    };
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      for (const streamId of frames.streamIds()) delivery.forget(streamId);
      if (!failure) return delivery.end();
      options.onConnectionError?.(failure, { connectionId: 0 });
      delivery.end(opened ? failure : new Error(`fromWebSocket: cannot connect to ${String(url)} (${failure.message}): expected a WebSocket server sending frames`, { cause: failure }));
    };
    socket.onopen = () => (opened = true);
    socket.onmessage = (event: MessageEvent) => {
      if (failure) return;
      if (!(event.data instanceof ArrayBuffer)) return fail(new FrameProtocolError('received a text message: expected binary messages, one frame each'));
      if (event.data.byteLength > maxFrameBytes + FRAME_HEADER_BYTES) {
        return fail(new FrameProtocolError(`a message of ${event.data.byteLength} bytes exceeds maxFrameBytes (${maxFrameBytes}) plus the ${FRAME_HEADER_BYTES}-byte header`));
      }
      const decoded = decodeFrameMessage(new Uint8Array(event.data), maxFrameBytes);
      if (decoded instanceof FrameProtocolError) return fail(decoded);
      const frame = frames.toFrame(decoded);
      delivery.offer(frame.streamId, frame);
    };
    // A browser tells nothing about why a connection failed; the close event that follows has the code.
    socket.onerror = () => undefined;
    socket.onclose = (event: CloseEvent) => {
      if (!failure && event.code !== 1000 && event.code !== 1001 && event.code !== 1005) {
        failure = new Error(`connection closed with code ${event.code}${event.reason ? ` (${event.reason})` : ''}`);
      }
      end();
    };
    return () => {
      socket.onmessage = socket.onclose = socket.onerror = socket.onopen = null;
      socket.close();
      delivery.close();
    };
  });
}
