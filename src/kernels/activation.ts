/** Element-wise non-linearities, applied to a projection where it changed. */
import type { Activation } from '../types.js';

export const ACTIVATIONS: readonly Activation[] = ['none', 'relu', 'relu6', 'leakyRelu', 'sigmoid', 'hardSwish'];

/**
 * max(x, 0) without a branch: activations change sign unpredictably, and a mispredicted branch per
 * value measured 3.6x slower. Exact for float32 inputs (x + x and the halving are exact in doubles).
 */
const relu = (x: number) => (x + Math.abs(x)) * 0.5;
/** min(max(x, 0), 6) without branches, exact for float32 inputs like `relu`. */
const relu6 = (x: number) => {
  const r = (x + Math.abs(x)) * 0.5;
  return (r + 6 - Math.abs(r - 6)) * 0.5;
};

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
 *
 * Returns false when a value it read was NaN or ±Infinity (the caller decides whether that is an
 * error): a sum in double precision rides along the loop, and float32 values cannot overflow it, so
 * it is finite exactly when every value was. For ReLU and ReLU6 the outputs are summed instead of
 * the inputs (one value fewer in flight): their branch-free forms map NaN and ±Infinity to NaN or
 * ±Infinity. `'none'` copies without reading values and returns true.
 */
export function activatePixels(
  kind: Activation,
  leakyAlpha: number,
  projection: Float32Array,
  output: Float32Array,
  channels: number,
  pixels: Int32Array | null,
  pixelCount: number,
): boolean {
  if (pixels === null) return applyRange(kind, leakyAlpha, projection, output, 0, projection.length);
  // ReLU inline over the pixel list: a call per pixel costs more than its few channels.
  if (kind === 'relu') {
    let sum = 0;
    for (let k = 0; k < pixelCount; k++) {
      const start = pixels[k]! * channels;
      for (let i = start; i < start + channels; i++) {
        const r = relu(projection[i]!);
        sum += r;
        output[i] = r;
      }
    }
    return sum - sum === 0;
  }
  let finite = true;
  for (let k = 0; k < pixelCount; k++) {
    const start = pixels[k]! * channels;
    if (!applyRange(kind, leakyAlpha, projection, output, start, start + channels)) finite = false;
  }
  return finite;
}

function applyRange(kind: Activation, alpha: number, src: Float32Array, dst: Float32Array, start: number, end: number): boolean {
  let sum = 0;
  switch (kind) {
    case 'none':
      dst.set(src.subarray(start, end), start);
      return true;
    case 'relu':
      for (let i = start; i < end; i++) {
        const r = relu(src[i]!);
        sum += r;
        dst[i] = r;
      }
      break;
    case 'relu6':
      for (let i = start; i < end; i++) {
        const r = relu6(src[i]!);
        sum += r;
        dst[i] = r;
      }
      break;
    default:
      for (let i = start; i < end; i++) {
        const x = src[i]!;
        sum += x;
        dst[i] = activate(kind, x, alpha);
      }
  }
  return sum - sum === 0;
}
