/**
 * `dropped` for the web sources. A page that is busy does not read the frames that arrive
 * meanwhile: Chromium's MediaStreamTrackProcessor discards them itself (it hands over one frame at
 * a time, each read a task of its own) and a `<video>` presents the next one without a callback.
 * So the policy's own buffer rarely sees two frames at once, and the honest count comes from the
 * frame numbers instead: `index` is the source's frame number (the camera's, from its timestamps at
 * its nominal rate; the `<video>`'s presented-frame counter), and `dropped` is the gap since the
 * previous emitted frame less the frames the `fps` option skipped on purpose.
 */
import { map, type MonoTypeOperatorFunction } from 'rxjs';
import type { LiveFrame } from '../../sources/live-policy.js';

export class FrameGaps {
  private previous: number | undefined;
  private readonly skipped: number[] = [];

  /** A frame the `fps` limit skipped (not a drop). */
  skip(index: number): void {
    this.skipped.push(index);
  }

  /** Sets each frame's `dropped` from the gap in `index` since the previous one. */
  annotate(): MonoTypeOperatorFunction<LiveFrame> {
    return map((frame) => {
      const skippedBetween = this.skipped.filter((i) => i > (this.previous ?? -1) && i < frame.index).length;
      const gap = this.previous === undefined ? 0 : frame.index - this.previous - 1;
      this.previous = frame.index;
      while (this.skipped.length && this.skipped[0]! <= frame.index) this.skipped.shift();
      return { ...frame, dropped: Math.max(frame.dropped, gap - skippedBetween) };
    });
  }
}

/** The camera's frame numbers from its timestamps at its nominal rate (or one by one without a rate). */
export class CameraFrameNumbers {
  private first: number | undefined;
  private count = 0;

  constructor(private readonly framesPerSecond: number | undefined) {}

  next(timestampMs: number): number {
    this.first ??= timestampMs;
    if (!(this.framesPerSecond && this.framesPerSecond > 0)) return this.count++;
    const number = Math.max(this.count, Math.round(((timestampMs - this.first) * this.framesPerSecond) / 1000));
    this.count = number + 1;
    return number;
  }
}
