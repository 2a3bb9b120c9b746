import type { Observable } from 'rxjs';
import type { Frame, FrameChannels } from '../types.js';
import { ByteReader, chunksFromWebStream, TruncatedInputError } from './byte-reader.js';
import { isFrameChannels } from './protocol.js';
import { pulledObservable } from './pulled-observable.js';

export interface RawFrameLayout {
  readonly width: number;
  readonly height: number;
  readonly channels: FrameChannels;
  /** Timestamps are `index * 1000 / fps` when given; otherwise ms since subscription at arrival. */
  readonly fps?: number;
}

/**
 * Raw frames (no header: `width × height × channels` bytes each, back to back) from any Web
 * `ReadableStream<Uint8Array>`, native or web-streams-polyfill, chunked in any way. Cold and
 * pulled: the reader is acquired on subscribe, the next chunk is read only when a frame is due, and
 * unsubscribing cancels the reader. A stream ending inside a frame is an error.
 */
export function fromReadableStream(stream: ReadableStream<Uint8Array>, layout: RawFrameLayout): Observable<Frame> {
  return pulledObservable((signal) => readableStreamFrames(stream, layout, signal));
}

async function* readableStreamFrames(stream: ReadableStream<Uint8Array>, layout: RawFrameLayout, signal: AbortSignal): AsyncGenerator<Frame> {
  const { width, height, channels, fps } = layout;
  if (!(Number.isInteger(width) && width > 0 && Number.isInteger(height) && height > 0) || !isFrameChannels(channels)) {
    throw new Error(`fromReadableStream: invalid layout ${width}×${height}×${channels}: expected positive integer sizes and 1, 3 or 4 channels`);
  }
  if (fps !== undefined && !(fps > 0)) throw new Error(`fromReadableStream: fps must be a positive number, got ${fps}`);
  const reader = new ByteReader(chunksFromWebStream(stream));
  const cancel = () => reader.cancel();
  signal.addEventListener('abort', cancel, { once: true });
  const subscribedAt = performance.now();
  const frameBytes = width * height * channels;
  try {
    for (let index = 0; ; index++) {
      let data: Uint8Array | undefined;
      try {
        data = await reader.readExactly(frameBytes);
      } catch (error) {
        if (error instanceof TruncatedInputError) {
          throw new Error(`fromReadableStream: stream ended inside frame ${index}: ${error.message} (${width}×${height}×${channels})`, { cause: error });
        }
        throw new Error(`fromReadableStream: frame ${index}: ${(error as Error).message}`, { cause: error });
      }
      if (data === undefined || signal.aborted) return;
      const timestamp = fps !== undefined ? (index * 1000) / fps : performance.now() - subscribedAt;
      yield { data, width, height, channels, index, timestamp };
    }
  } finally {
    signal.removeEventListener('abort', cancel);
    reader.cancel();
  }
}
