/**
 * What a live source (camera, socket) does when frames arrive faster than the pipeline consumes
 * them. RxJS has no backpressure, and a live peer cannot be paused without falling behind real
 * time, so the source holds a small buffer per stream and discards the oldest frames:
 *
 * - `'latest'`: keep only the newest frame (a buffer of one); stale frames are dropped.
 * - `'queue'`: keep up to `queueSize` frames; when it is full the oldest is dropped (overflow).
 *
 * Every emitted frame is a `LiveFrame` whose `dropped` says how many frames of its stream were
 * discarded since the previous emitted one, so `scan` can total them and gaps in `index` show
 * where they were.
 */
import type { Subscriber } from 'rxjs';
import type { Frame } from '../types.js';
import { afterPendingIo } from './runtime.js';

export type LivePolicy = 'latest' | 'queue';

export interface LivePolicyOptions {
  /** Default `'latest'`. */
  readonly policy?: LivePolicy;
  /** Capacity of the `'queue'` policy; default 8. Ignored by `'latest'`. */
  readonly queueSize?: number;
}

/** A frame from a live source. */
export interface LiveFrame extends Frame {
  /** Frames of this stream the policy discarded since the previous emitted frame. */
  readonly dropped: number;
  /** Cameras and network streams: times the stream came back after its decoder died (see `LiveDecoderOptions`). */
  readonly reconnects?: number;
}

export const DEFAULT_QUEUE_SIZE = 8;

/** The buffer capacity the options ask for, or an error message describing the bad option. */
export function liveBufferCapacity(options: LivePolicyOptions): number | string {
  const policy = options.policy ?? 'latest';
  if (policy === 'latest') return 1;
  if (policy !== 'queue') return `unknown policy '${String(policy)}': expected 'latest' or 'queue'`;
  const size = options.queueSize ?? DEFAULT_QUEUE_SIZE;
  if (!Number.isInteger(size) || size < 1) return `queueSize must be an integer ≥ 1, got ${size}`;
  return size;
}

/** Where a buffer reports the payload bytes it holds (a receiver's `maxBufferedBytes` budget). */
export interface BufferAccount {
  queued(bytes: number): void;
  released(bytes: number): void;
}

export interface FrameBufferOptions {
  /** Payload bytes the buffer may hold; the oldest frames go first (the newest is always kept). */
  readonly maxBytes?: number;
  readonly account?: BufferAccount;
  /** Called with each frame discarded to make room (not with frames taken). */
  readonly onDiscard?: (frame: Frame) => void;
}

/** A bounded FIFO of one stream's frames that discards the oldest when full. */
export class LiveFrameBuffer {
  private readonly frames: Frame[] = [];
  private droppedSinceLastTake = 0;
  private heldBytes = 0;

  constructor(
    private readonly capacity: number,
    private readonly options: FrameBufferOptions = {},
  ) {}

  get size(): number {
    return this.frames.length;
  }

  /** Payload bytes of the frames held. */
  get bytes(): number {
    return this.heldBytes;
  }

  offer(frame: Frame): void {
    const maxBytes = this.options.maxBytes ?? Infinity;
    while (this.frames.length > 0 && (this.frames.length >= this.capacity || this.heldBytes + frame.data.length > maxBytes)) this.dropOldest();
    this.frames.push(frame);
    this.heldBytes += frame.data.length;
    this.options.account?.queued(frame.data.length);
  }

  take(): LiveFrame | undefined {
    const frame = this.frames.shift();
    if (frame === undefined) return undefined;
    this.release(frame);
    const dropped = this.droppedSinceLastTake;
    this.droppedSinceLastTake = 0;
    return { ...frame, dropped };
  }

  /** Discards the oldest frame (counted in the next frame's `dropped`); returns its payload bytes. */
  dropOldest(): number {
    const frame = this.frames.shift();
    if (frame === undefined) return 0;
    this.droppedSinceLastTake++;
    this.release(frame);
    this.options.onDiscard?.(frame);
    return frame.data.length;
  }

  /** Forgets every frame (unsubscribe): their bytes go back to the account. */
  clear(): void {
    for (const frame of this.frames.splice(0)) this.release(frame);
  }

  private release(frame: Frame): void {
    this.heldBytes -= frame.data.length;
    this.options.account?.released(frame.data.length);
  }
}

/**
 * Delivers frames of any number of streams to one subscriber, one frame per stream per event-loop
 * turn: between turns the runtime reads the sockets and pipes, so frames that arrived meanwhile
 * replace stale ones instead of queueing behind a slow consumer.
 */
export class LiveDelivery {
  private readonly buffers = new Map<unknown, LiveFrameBuffer>();
  /** Streams whose connection closed: their buffer goes once it has been emptied. */
  private readonly finished = new Set<unknown>();
  private cancelScheduled: (() => void) | undefined;
  private ending: { error?: unknown } | undefined;

  constructor(
    private readonly subscriber: Subscriber<LiveFrame>,
    private readonly capacity: number,
  ) {}

  /** Queues a frame of stream `streamKey`; `account` (taken when the stream is new) counts its bytes. */
  offer(streamKey: unknown, frame: Frame, account?: BufferAccount): void {
    if (this.ending) return;
    let buffer = this.buffers.get(streamKey);
    if (!buffer) {
      buffer = new LiveFrameBuffer(this.capacity, account ? { account } : {});
      this.buffers.set(streamKey, buffer);
    }
    buffer.offer(frame);
    this.schedule();
  }

  /**
   * Discards waiting frames of the streams `which` selects, oldest first from the stream holding
   * the most bytes, until `bytes` are freed or none wait; returns the bytes freed. Each discarded
   * frame counts in its stream's next `dropped`, like any frame the policy discards.
   */
  evictWaiting(bytes: number, which: (streamKey: unknown) => boolean): number {
    let freed = 0;
    while (freed < bytes) {
      let fullest: LiveFrameBuffer | undefined;
      for (const [key, buffer] of this.buffers) if (buffer.size > 0 && which(key) && (!fullest || buffer.bytes > fullest.bytes)) fullest = buffer;
      if (!fullest) break;
      freed += fullest.dropOldest();
    }
    return freed;
  }

  /** Forgets a finished stream once its buffered frames have been delivered. */
  forget(streamKey: unknown): void {
    if (this.buffers.get(streamKey)?.size === 0) this.buffers.delete(streamKey);
    else if (this.buffers.has(streamKey)) this.finished.add(streamKey);
  }

  /** Completes (or errors) the subscriber after the buffered frames have been delivered. */
  end(error?: unknown): void {
    if (this.ending) return;
    this.ending = error === undefined ? {} : { error };
    this.schedule();
  }

  /** Stops delivering: call on unsubscribe. */
  close(): void {
    this.cancelScheduled?.();
    this.cancelScheduled = undefined;
    for (const buffer of this.buffers.values()) buffer.clear();
    this.buffers.clear();
    this.finished.clear();
    this.ending = {};
  }

  private schedule(): void {
    if (this.cancelScheduled || this.subscriber.closed) return;
    this.cancelScheduled = afterPendingIo(() => {
      this.cancelScheduled = undefined;
      this.deliverOneRound();
    });
  }

  private deliverOneRound(): void {
    let pending = false;
    for (const [key, buffer] of this.buffers) {
      const frame = buffer.take();
      if (frame) this.subscriber.next(frame);
      if (this.subscriber.closed) return;
      if (buffer.size > 0) pending = true;
      else if (this.ending || this.finished.delete(key)) this.buffers.delete(key);
    }
    if (pending) this.schedule();
    else if (this.ending) {
      if ('error' in this.ending) this.subscriber.error(this.ending.error);
      else this.subscriber.complete();
    }
  }
}
