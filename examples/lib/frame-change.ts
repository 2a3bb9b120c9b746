/** How much consecutive frames differ: what decides how much work an rrm layer can skip. */
import { Observable, type OperatorFunction } from 'rxjs';
import type { Frame } from 'rx-rrm';

export interface FrameChange<T extends Frame = Frame> {
  readonly frame: T;
  /** Fraction of pixels where some channel changed by more than the threshold (1 for the first frame). */
  readonly changedFraction: number;
  /** Mean absolute change over all bytes, in grey levels (0 for the first frame). */
  readonly meanChange: number;
}

/** Pairs every frame with its change from the previous one; state is per subscription. */
export function frameChange<T extends Frame>(threshold = 8): OperatorFunction<T, FrameChange<T>> {
  return (frames) =>
    new Observable<FrameChange<T>>((subscriber) => {
      let previous: T | undefined;
      return frames.subscribe({
        next: (frame) => {
          const comparable = previous && previous.data.length === frame.data.length;
          subscriber.next(comparable ? measure(previous!, frame, threshold) : { frame, changedFraction: 1, meanChange: 0 });
          previous = frame;
        },
        error: (error) => subscriber.error(error),
        complete: () => subscriber.complete(),
      });
    });
}

function measure<T extends Frame>(previous: T, frame: T, threshold: number): FrameChange<T> {
  const { channels } = frame;
  let changedPixels = 0;
  let totalChange = 0;
  for (let pixel = 0; pixel < frame.data.length; pixel += channels) {
    let largest = 0;
    for (let c = 0; c < channels; c++) {
      const change = Math.abs(frame.data[pixel + c]! - previous.data[pixel + c]!);
      totalChange += change;
      if (change > largest) largest = change;
    }
    if (largest > threshold) changedPixels++;
  }
  return { frame, changedFraction: changedPixels / (frame.data.length / channels), meanChange: totalChange / frame.data.length };
}

/** The p-th quantile (0..1) of `values`. */
export function quantileOf(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}
