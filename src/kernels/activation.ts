/** Element-wise non-linearities, applied to a projection where it changed. */
import type { Activation } from '../types.js';

export const ACTIVATIONS: readonly Activation[] = ['none', 'relu', 'relu6', 'leakyRelu', 'sigmoid', 'hardSwish'];

/** The scalar definition: the reference for `activatePixels`. */
export function activate(kind: Activation, x: number, leakyAlpha: number): number {
  switch (kind) {
    case 'none':
      return x;
    case 'relu':
      return x > 0 ? x : 0;
    case 'relu6':
      return x < 0 ? 0 : x > 6 ? 6 : x;
    case 'leakyRelu':
      return x >= 0 ? x : x * leakyAlpha;
    case 'sigmoid':
      return 1 / (1 + Math.exp(-x));
    case 'hardSwish':
      return x <= -3 ? 0 : x >= 3 ? x : (x * (x + 3)) / 6;
  }
}

/**
 * `output[p, :] = f(projection[p, :])` for the listed pixels, or for all when `pixels` is null.
 * One loop per kind so that the per-element branch on `kind` stays out of the hot loop.
 */
export function activatePixels(
  kind: Activation,
  leakyAlpha: number,
  projection: Float32Array,
  output: Float32Array,
  channels: number,
  pixels: Int32Array | null,
  pixelCount: number,
): void {
  if (pixels === null) {
    applyRange(kind, leakyAlpha, projection, output, 0, projection.length);
    return;
  }
  // The common kinds inline over the pixel list: a call per pixel costs more than its few channels.
  if (kind === 'relu' || kind === 'relu6' || kind === 'none') {
    const cap = kind === 'relu6' ? 6 : kind === 'relu' ? Infinity : NaN;
    for (let k = 0; k < pixelCount; k++) {
      const start = pixels[k]! * channels;
      const end = start + channels;
      if (kind === 'none') {
        output.set(projection.subarray(start, end), start);
        continue;
      }
      for (let i = start; i < end; i++) {
        const x = projection[i]!;
        output[i] = x > 0 ? (x < cap ? x : cap) : 0;
      }
    }
    return;
  }
  for (let k = 0; k < pixelCount; k++) {
    const start = pixels[k]! * channels;
    applyRange(kind, leakyAlpha, projection, output, start, start + channels);
  }
}

function applyRange(kind: Activation, alpha: number, src: Float32Array, dst: Float32Array, start: number, end: number): void {
  switch (kind) {
    case 'none':
      dst.set(src.subarray(start, end), start);
      return;
    case 'relu':
      for (let i = start; i < end; i++) {
        const x = src[i]!;
        dst[i] = x > 0 ? x : 0;
      }
      return;
    case 'relu6':
      for (let i = start; i < end; i++) {
        const x = src[i]!;
        dst[i] = x > 0 ? (x < 6 ? x : 6) : 0;
      }
      return;
    default:
      for (let i = start; i < end; i++) dst[i] = activate(kind, src[i]!, alpha);
  }
}
