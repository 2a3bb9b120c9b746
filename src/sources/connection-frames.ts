import type { Frame } from '../types.js';
import type { WireFrame } from './protocol.js';

/** The connection a received frame's `streamId` (`"<connection>:<sender's stream id>"`) came on. */
export function connectionOfStream(streamId: unknown): number {
  return Number.parseInt(String(streamId), 10);
}

/**
 * Turns one connection's wire frames into `Frame`s: the stream id combines the connection and the
 * sender's own stream id (`"3:0"`), and `index` counts each such stream from 0 as received.
 */
export class ConnectionFrames {
  private readonly nextIndex = new Map<number, number>();

  constructor(readonly connectionId: number) {}

  toFrame({ header, payload }: WireFrame): Frame {
    const index = this.nextIndex.get(header.streamId) ?? 0;
    this.nextIndex.set(header.streamId, index + 1);
    return {
      data: payload,
      width: header.width,
      height: header.height,
      channels: header.channels,
      index,
      timestamp: header.timestamp,
      streamId: this.streamIdOf(header.streamId),
      ...(header.keyframe ? { keyframe: true } : {}),
    };
  }

  /**
   * Registers the sender's stream `wireStreamId` when its first header arrives (several headers may
   * be parsed before their frames are turned into `Frame`s); true when the stream is new.
   */
  addStream(wireStreamId: number): boolean {
    if (this.nextIndex.has(wireStreamId)) return false;
    this.nextIndex.set(wireStreamId, 0);
    return true;
  }

  /** Forgets a stream registered by `addStream` whose frame was refused. */
  dropStream(wireStreamId: number): void {
    if (this.nextIndex.get(wireStreamId) === 0) this.nextIndex.delete(wireStreamId);
  }

  /** The stream ids this connection has produced so far. */
  streamIds(): string[] {
    return Array.from(this.nextIndex.keys(), (wireId) => this.streamIdOf(wireId));
  }

  private streamIdOf(wireStreamId: number): string {
    return `${this.connectionId}:${wireStreamId}`;
  }
}
