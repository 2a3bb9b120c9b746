/**
 * Pooling kernels over HWC maps, computed for a list of output pixels (or all). Pooling is cheap
 * next to a conv, so the kernel recomputes whole windows rather than keeping running state.
 */
import type { WindowGeometry } from './geometry.js';

export interface PoolShape {
  readonly height: number;
  readonly width: number;
  readonly channels: number;
  readonly kernel: readonly [number, number];
  readonly stride: readonly [number, number];
  readonly dilation: readonly [number, number];
}

/**
 * Max (kind 'max') or average over each window of the listed output pixels. Returns false when a
 * value it read was NaN or ±Infinity (max pooling would otherwise drop a NaN silently: `NaN > m`
 * is false): every value read is also added to a double-precision sum, which float32 values cannot
 * overflow, so it is finite exactly when they all were.
 */
export function poolPixels(
  kind: 'max' | 'avg',
  countIncludePad: boolean,
  shape: PoolShape,
  window: WindowGeometry,
  input: Float32Array,
  output: Float32Array,
  pixels: Int32Array | null,
  pixelCount: number,
): boolean {
  const { height, width, channels } = shape;
  let readSum = 0;
  const [kh, kw] = shape.kernel;
  const [sh, sw] = shape.stride;
  const [dh, dw] = shape.dilation;
  const total = pixels ? pixelCount : window.outHeight * window.outWidth;
  for (let k = 0; k < total; k++) {
    const outPixel = pixels ? pixels[k]! : k;
    const oy = (outPixel / window.outWidth) | 0;
    const ox = outPixel - oy * window.outWidth;
    const outBase = outPixel * channels;
    const y0 = oy * sh - window.padTop;
    const x0 = ox * sw - window.padLeft;
    // Only the taps that land inside the input are visited (a kernel far larger than the map,
    // as 'same' padding allows, would otherwise cost its full size per window); the taps inside
    // the padded area are counted for countIncludePad.
    const [kyFirst, kyEnd] = tapsWithin(y0, dh, kh, 0, height);
    const [kxFirst, kxEnd] = tapsWithin(x0, dw, kw, 0, width);
    for (let c = 0; c < channels; c++) output[outBase + c] = kind === 'max' ? -Infinity : 0;
    for (let ky = kyFirst; ky < kyEnd; ky++) {
      const iy = y0 + ky * dh;
      for (let kx = kxFirst; kx < kxEnd; kx++) {
        const inBase = (iy * width + x0 + kx * dw) * channels;
        if (kind === 'max') {
          for (let c = 0; c < channels; c++) {
            const v = input[inBase + c]!;
            readSum += v;
            if (v > output[outBase + c]!) output[outBase + c] = v;
          }
        } else {
          for (let c = 0; c < channels; c++) {
            const v = input[inBase + c]!;
            readSum += v;
            output[outBase + c]! += v;
          }
        }
      }
    }
    if (kind === 'avg') {
      let divisor = Math.max(0, kyEnd - kyFirst) * Math.max(0, kxEnd - kxFirst);
      if (countIncludePad) {
        const [pyFirst, pyEnd] = tapsWithin(y0, dh, kh, -window.padTop, height + window.padBottom);
        const [pxFirst, pxEnd] = tapsWithin(x0, dw, kw, -window.padLeft, width + window.padRight);
        divisor = Math.max(0, pyEnd - pyFirst) * Math.max(0, pxEnd - pxFirst);
      }
      for (let c = 0; c < channels; c++) output[outBase + c]! /= divisor;
    }
  }
  return readSum - readSum === 0;
}

/** The taps `k` in [first, end) of a window starting at `origin` whose positions `origin + k·step` lie in [low, high). */
export function tapsWithin(origin: number, step: number, taps: number, low: number, high: number): [number, number] {
  const first = Math.max(0, Math.ceil((low - origin) / step));
  const end = Math.min(taps, Math.floor((high - 1 - origin) / step) + 1);
  return [first, Math.max(first, end)];
}
