/**
 * The memory and the streams one receiving subscription lets its peers take: payload bytes of
 * unfinished frames (claimed when a header arrives, before the payload is allocated) plus frames
 * waiting for the pipeline, against `maxBufferedBytes`; distinct streams against `maxStreams`.
 *
 * When a claim would go over, the connection holding the most (its unfinished frame plus its
 * frames waiting for the pipeline) gives way: its waiting frames are dropped, oldest first (live
 * sources drop stale frames anyway), then its unfinished frame and the connection are closed; and
 * so on until the claim fits. When the claimant itself holds the most, it may drop its own waiting
 * frames for the new one, and is closed if that is not enough. So a peer that declares huge frames,
 * or sends them faster than the pipeline takes them, cannot crowd out peers that send small frames
 * on time, nor make the receiver drop their frames.
 */
import type { BufferAccount } from './live-policy.js';
import { ReceiveLimitError, type ResolvedReceiveLimits } from './receive-limits.js';

interface Holding {
  /** Payload bytes of this connection's unfinished frame (or message). */
  unfinished: number;
  /** Payload bytes of its frames waiting for the pipeline (they outlive the connection). */
  waiting: number;
  streams: number;
  open: boolean;
  readonly close: (error: ReceiveLimitError) => void;
  readonly account: BufferAccount;
}

/** Drops up to `bytes` of one connection's waiting frames, oldest first; returns the bytes dropped. */
export type WaitingEviction = (connectionId: number, bytes: number) => number;

export class ReceiveBudget {
  private used = 0;
  private streams = 0;
  private readonly holdings = new Map<number, Holding>();
  /** Set once the delivery exists. */
  evictWaiting: WaitingEviction = () => 0;

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
    const holding: Holding = {
      unfinished: 0,
      waiting: 0,
      streams: 0,
      open: true,
      close,
      account: {
        queued: (bytes) => {
          holding.waiting += bytes;
          this.used += bytes;
        },
        released: (bytes) => {
          holding.waiting -= bytes;
          this.used -= bytes;
          if (!holding.open && holding.waiting === 0) this.holdings.delete(connectionId);
        },
      },
    };
    this.holdings.set(connectionId, holding);
  }

  /** Where the delivery counts this connection's waiting frames. */
  accountOf(connectionId: number): BufferAccount | undefined {
    return this.holdings.get(connectionId)?.account;
  }

  /** A connection ended: its unfinished frame and its streams are given back (its waiting frames when delivered). */
  leave(connectionId: number): void {
    const holding = this.holdings.get(connectionId);
    if (!holding || !holding.open) return;
    this.used -= holding.unfinished;
    holding.unfinished = 0;
    this.streams -= holding.streams;
    holding.streams = 0;
    holding.open = false;
    if (holding.waiting === 0) this.holdings.delete(connectionId);
  }

  /** A connection's first frame of a new stream; refused over `maxStreamsPerConnection` or `maxStreams`. */
  addStream(connectionId: number, wireStreamId: number): ReceiveLimitError | undefined {
    const holding = this.holdings.get(connectionId);
    if (!holding?.open) return new ReceiveLimitError('maxStreams', 'the connection is already closed');
    if (holding.streams >= this.limits.maxStreamsPerConnection) {
      return new ReceiveLimitError(
        'maxStreamsPerConnection',
        `stream id ${wireStreamId} would be this connection's stream number ${holding.streams + 1}, more than maxStreamsPerConnection = ${this.limits.maxStreamsPerConnection}`,
      );
    }
    if (this.streams >= this.limits.maxStreams) {
      return new ReceiveLimitError('maxStreams', `stream id ${wireStreamId} would be stream number ${this.streams + 1} of the server, more than maxStreams = ${this.limits.maxStreams}`);
    }
    holding.streams++;
    this.streams++;
    return undefined;
  }

  /**
   * Claims `bytes` more for the connection's unfinished frame, making room as described above;
   * returns an error when this connection is the one to close.
   */
  claim(connectionId: number, bytes: number): ReceiveLimitError | undefined {
    const holding = this.holdings.get(connectionId);
    if (!holding?.open) return new ReceiveLimitError('maxBufferedBytes', 'the connection is already closed');
    const max = this.limits.maxBufferedBytes;
    const refusal = (held: number) =>
      new ReceiveLimitError(
        'maxBufferedBytes',
        `a frame of ${bytes} bytes would take the bytes held for unfinished and waiting frames past maxBufferedBytes = ${max}, and this connection holds the most (${held} bytes)`,
      );
    while (this.used + bytes > max) {
      const [victimId, victim] = this.largestHolding(connectionId);
      const claimantHolds = holding.unfinished + holding.waiting + bytes;
      if (!victim || victim.unfinished + victim.waiting < claimantHolds) {
        // The claimant holds the most: it may give up its own stale frames for the new one.
        if (holding.waiting > 0) this.evictWaiting(connectionId, this.used + bytes - max);
        if (this.used + bytes > max) return refusal(claimantHolds);
        break;
      }
      let freed = victim.waiting > 0 ? this.evictWaiting(victimId, this.used + bytes - max) : 0;
      if (this.used + bytes > max && victim.unfinished > 0) {
        const held = victim.unfinished + victim.waiting;
        freed += victim.unfinished;
        this.used -= victim.unfinished;
        victim.unfinished = 0;
        victim.close(refusal(held));
      }
      if (freed === 0) return refusal(claimantHolds); // nothing could be freed: never loop
    }
    holding.unfinished += bytes;
    this.used += bytes;
    return undefined;
  }

  /** The connection's unfinished frame completed or was abandoned: up to `bytes` of its claim end. */
  settle(connectionId: number, bytes = Infinity): void {
    const holding = this.holdings.get(connectionId);
    if (!holding) return;
    const settled = Math.min(bytes, holding.unfinished);
    holding.unfinished -= settled;
    this.used -= settled;
  }

  /** The connection (other than `except`) holding the most bytes, with something to give. */
  private largestHolding(except: number): [number, Holding] | [undefined, undefined] {
    let found: [number, Holding] | [undefined, undefined] = [undefined, undefined];
    for (const [id, holding] of this.holdings) {
      const held = holding.unfinished + holding.waiting;
      if (id !== except && held > 0 && (!found[1] || held > found[1].unfinished + found[1].waiting)) found = [id, holding];
    }
    return found;
  }
}
