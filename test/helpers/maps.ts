import type { FeatureMap } from '../../src/types.js';

export function featureMap(data: Float32Array, height: number, width: number, channels: number, index = 0, extra: Partial<FeatureMap> = {}): FeatureMap {
  return { data, height, width, channels, index, timestamp: index * 40, keyframe: false, stats: [], ...extra };
}

/** Largest |a − b| relative to the larger of max|b| and 1e-6. */
export function relativeError(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Infinity;
  let diff = 0;
  let magnitude = 1e-6;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    magnitude = Math.max(magnitude, Math.abs(b[i]!));
  }
  return diff / magnitude;
}

export function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
  return diff;
}

/** Values after a frame with `changedPixels` of its pixels changed by random amounts. */
export function perturbPixels(
  previous: Float32Array,
  channels: number,
  fraction: number,
  random: () => number,
  amplitude = 1,
): Float32Array {
  const next = previous.slice();
  const pixels = previous.length / channels;
  for (let p = 0; p < pixels; p++) {
    if (random() >= fraction) continue;
    for (let c = 0; c < channels; c++) next[p * channels + c] = next[p * channels + c]! + (random() * 2 - 1) * amplitude;
  }
  return next;
}
