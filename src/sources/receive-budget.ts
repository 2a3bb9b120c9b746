/**
 * The memory and the streams one receiving subscription lets its peers take: payload bytes of
 * unfinished frames (claimed when a header arrives, before the payload is allocated) plus frames
 * waiting for the pipeline, against `maxBufferedBytes`; distinct streams against `maxStreams`.
 *
 * When a claim would go over, waiting frames are dropped first (live sources drop stale frames
 * anyway), then the connection holding the largest unfinished frame is closed, which may be the
 * claimant itself: a peer that declares huge frames and sends them slowly cannot crowd out peers
 * that send small frames on time.
 */
import type { BufferAccount } from './live-policy.js';
import { ReceiveLimitError, type ResolvedReceiveLimits } from './receive-limits.js';

interface Claim {
  /** Payload bytes of this connection's unfinished frame (or message) held now. */
  unfinished: number;
  streams: number;
  readonly close: (error: ReceiveLimitError) => void;
}

export class ReceiveBudget implements BufferAccount {
  private used = 0;
  private streams = 0;
  private readonly claims = new Map<number, Claim>();
  /** Drops waiting frames to free bytes; set once the delivery exists. */
  evictWaiting: (bytes: number) => number = () => 0;

  constructor(private readonly limits: ResolvedReceiveLimits) {}

  /** Bytes held now: unfinished frames and waiting frames. */
  get bytesHeld(): number {
    return this.used;
  }

  get streamCount(): number {
    return this.streams;
  }

  /** A connection starts; `close` ends it when the budget needs its bytes back. */
  join(connectionId: number, close: (error: ReceiveLimitError) => void): void {
    this.claims.set(connectionId, { unfinished: 0, streams: 0, close });
  }

  /** A connection ended: its unfinished frame and its streams are given back. */
  leave(connectionId: number): void {
    const claim = this.claims.get(connectionId);
    if (!claim) return;
    this.used -= claim.unfinished;
    this.streams -= claim.streams;
    this.claims.delete(connectionId);
  }

  /** A connection's first frame of a new stream; refused over `maxStreamsPerConnection` or `maxStreams`. */
  addStream(connectionId: number, wireStreamId: number): ReceiveLimitError | undefined {
    const claim = this.claims.get(connectionId);
    if (!claim) return new ReceiveLimitError('maxStreams', 'the connection is already closed');
    if (claim.streams >= this.limits.maxStreamsPerConnection) {
      return new ReceiveLimitError(
        'maxStreamsPerConnection',
        `stream id ${wireStreamId} would be this connection's stream number ${claim.streams + 1}, more than maxStreamsPerConnection = ${this.limits.maxStreamsPerConnection}`,
      );
    }
    if (this.streams >= this.limits.maxStreams) {
      return new ReceiveLimitError('maxStreams', `stream id ${wireStreamId} would be stream number ${this.streams + 1} of the server, more than maxStreams = ${this.limits.maxStreams}`);
    }
    claim.streams++;
    this.streams++;
    return undefined;
  }

  /**
   * Claims `bytes` more for the connection's unfinished frame, making room as described above;
   * returns an error when this connection is the one to close.
   */
  claim(connectionId: number, bytes: number): ReceiveLimitError | undefined {
    const claim = this.claims.get(connectionId);
    if (!claim) return new ReceiveLimitError('maxBufferedBytes', 'the connection is already closed');
    const max = this.limits.maxBufferedBytes;
    if (this.used + bytes > max) this.evictWaiting(this.used + bytes - max);
    while (this.used + bytes > max) {
      let victim: number = connectionId;
      let largest = claim.unfinished + bytes;
      for (const [other, { unfinished }] of this.claims) {
        if (other !== connectionId && unfinished > largest) [victim, largest] = [other, unfinished];
      }
      const message = (what: string) =>
        `${what} would take the bytes held for unfinished and waiting frames past maxBufferedBytes = ${max}, and this connection's unfinished frame (${largest} bytes) is the largest`;
      if (victim === connectionId) return new ReceiveLimitError('maxBufferedBytes', message(`its frame of ${claim.unfinished + bytes} bytes`));
      const other = this.claims.get(victim)!;
      this.used -= other.unfinished;
      other.unfinished = 0;
      other.close(new ReceiveLimitError('maxBufferedBytes', message(`another connection's frame of ${bytes} bytes`)));
    }
    claim.unfinished += bytes;
    this.used += bytes;
    return undefined;
  }

  /** The connection's unfinished frame completed or was abandoned: up to `bytes` of its claim end. */
  settle(connectionId: number, bytes = Infinity): void {
    const claim = this.claims.get(connectionId);
    if (!claim) return;
    const settled = Math.min(bytes, claim.unfinished);
    claim.unfinished -= settled;
    this.used -= settled;
  }

  queued(bytes: number): void {
    this.used += bytes;
  }

  released(bytes: number): void {
    this.used -= bytes;
  }
}
