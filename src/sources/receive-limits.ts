/**
 * What a receiving source (`fromSocket`, `fromWebSocketServer`, their clients) lets its peers make
 * it hold: each limit an option with a safe default, checked before the memory or the slot is
 * taken. A peer over a limit is closed and reported (`onConnectionError`); the others go on.
 */
import { DEFAULT_MAX_FRAME_BYTES } from './protocol.js';

export interface ReceiveLimits {
  /** Largest payload accepted, in bytes; default 64 MiB. */
  readonly maxFrameBytes?: number;
  /** Distinct stream ids one connection may use; default 64. */
  readonly maxStreamsPerConnection?: number;
  /** Distinct streams all connections of one server may use at once; default 1024. */
  readonly maxStreams?: number;
  /** Connections one server holds at once; more are closed on arrival; default 64. */
  readonly maxConnections?: number;
  /**
   * Payload bytes held at once by one subscription: frames being received plus frames waiting for
   * the pipeline; default 256 MiB (at least `maxFrameBytes`). Over it, waiting frames are dropped
   * first (oldest first, counted in `dropped`), then the connection with the largest unfinished
   * frame is closed.
   */
  readonly maxBufferedBytes?: number;
  /** A connection that sends nothing for this long is closed (a client errors); default 60 s. */
  readonly idleTimeoutMs?: number;
  /** A frame header must be complete this long after its first byte; default 10 s. */
  readonly headerTimeoutMs?: number;
  /** A whole frame (WebSocket: message) must arrive this long after its first byte; default 60 s. */
  readonly frameTimeoutMs?: number;
}

export type ResolvedReceiveLimits = { readonly [K in keyof ReceiveLimits]-?: number };

export const DEFAULT_RECEIVE_LIMITS: ResolvedReceiveLimits = {
  maxFrameBytes: DEFAULT_MAX_FRAME_BYTES,
  maxStreamsPerConnection: 64,
  maxStreams: 1024,
  maxConnections: 64,
  maxBufferedBytes: 256 * 1024 * 1024,
  idleTimeoutMs: 60_000,
  headerTimeoutMs: 10_000,
  frameTimeoutMs: 60_000,
};

const COUNTS = ['maxFrameBytes', 'maxStreamsPerConnection', 'maxStreams', 'maxConnections', 'maxBufferedBytes'] as const;
const TIMEOUTS = ['idleTimeoutMs', 'headerTimeoutMs', 'frameTimeoutMs'] as const;

/** The limits with defaults filled in, or a message naming the option that is out of range. */
export function resolveReceiveLimits(options: ReceiveLimits): ResolvedReceiveLimits | string {
  const resolved = { ...DEFAULT_RECEIVE_LIMITS };
  for (const key of COUNTS) {
    const value = options[key];
    if (value === undefined) continue;
    if (!(Number.isSafeInteger(value) && value >= 1)) return `${key} must be an integer ≥ 1, got ${value}`;
    resolved[key] = value;
  }
  for (const key of TIMEOUTS) {
    const value = options[key];
    if (value === undefined) continue;
    // Infinity turns a timeout off; anything else must be a positive number of milliseconds.
    if (!(typeof value === 'number' && value > 0)) return `${key} must be a number of milliseconds > 0 (Infinity: no timeout), got ${value}`;
    resolved[key] = value;
  }
  if (resolved.maxBufferedBytes < resolved.maxFrameBytes) {
    return `maxBufferedBytes (${resolved.maxBufferedBytes}) must be at least maxFrameBytes (${resolved.maxFrameBytes}): otherwise the largest frame could never be received`;
  }
  return resolved;
}

/** A peer went over one of the receive limits; `limit` names the option. */
export class ReceiveLimitError extends Error {
  constructor(
    readonly limit: keyof ReceiveLimits,
    message: string,
  ) {
    super(message);
    this.name = 'ReceiveLimitError';
  }
}
