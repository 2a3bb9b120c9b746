import { Observable, type MonoTypeOperatorFunction } from 'rxjs';
import { RrmInputError } from '../layers/validate.js';

/** What `keyframes` needs of an item: a Frame or a FeatureMap. */
interface Pictured {
  readonly data: Uint8Array | Float32Array;
  readonly width: number;
  readonly height: number;
  readonly channels: number;
  readonly keyframe?: boolean;
}

export interface KeyframeOptions {
  /** Mark every N-th item (counting from the first of the subscription). */
  readonly every?: number;
  /** Mark the next item after each emission of this notifier. */
  readonly on?: Observable<unknown>;
  /** Scene cut: mark when more than this fraction of pixels changed since the previous item. */
  readonly maxActive?: number;
  /** A pixel counts as changed when a channel differs by more than this (data units; default 0). */
  readonly pixelThreshold?: number;
}

/**
 * Marks items `keyframe: true` so that every rrm layer downstream recomputes densely: the first item
 * of every subscription, every N items, after a notifier emits, on a scene cut, and when the frame
 * size changes. Items already marked stay marked.
 */
export function keyframes<T extends Pictured>(options: KeyframeOptions = {}): MonoTypeOperatorFunction<T> {
  const { every, on, maxActive } = options;
  const pixelThreshold = options.pixelThreshold ?? 0;
  if (every !== undefined && !(Number.isInteger(every) && every > 0)) throw new RrmInputError(`keyframes: every must be a positive integer, got ${every}`);
  if (maxActive !== undefined && !(maxActive >= 0 && maxActive <= 1)) throw new RrmInputError(`keyframes: maxActive must be between 0 and 1, got ${maxActive}`);
  return (source) =>
    new Observable<T>((subscriber) => {
      let count = 0;
      let requested = false;
      let previous: T | undefined;
      const notifierSubscription = on?.subscribe({
        next: () => (requested = true),
        error: (error) => subscriber.error(error),
      });
      const subscription = source.subscribe({
        next: (item) => {
          const sizeChanged = previous !== undefined && (previous.width !== item.width || previous.height !== item.height || previous.channels !== item.channels);
          const due =
            previous === undefined ||
            sizeChanged ||
            requested ||
            (every !== undefined && count % every === 0) ||
            (maxActive !== undefined && changedPixelFraction(previous, item, pixelThreshold) > maxActive);
          count++;
          requested = false;
          previous = item;
          subscriber.next(due && !item.keyframe ? { ...item, keyframe: true } : item);
        },
        error: (error) => subscriber.error(error),
        complete: () => subscriber.complete(),
      });
      return () => {
        subscription.unsubscribe();
        notifierSubscription?.unsubscribe();
      };
    });
}

/** Fraction of pixels where some channel differs by more than `threshold` (items of one size). */
export function changedPixelFraction(a: Pictured, b: Pictured, threshold: number): number {
  const channels = b.channels;
  const pixels = b.width * b.height;
  let changed = 0;
  for (let p = 0; p < pixels; p++) {
    for (let c = 0; c < channels; c++) {
      if (Math.abs(a.data[p * channels + c]! - b.data[p * channels + c]!) > threshold) {
        changed++;
        break;
      }
    }
  }
  return changed / pixels;
}
