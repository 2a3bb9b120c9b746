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
    let inside = 0;
    let padded = 0;
    for (let c = 0; c < channels; c++) output[outBase + c] = kind === 'max' ? -Infinity : 0;
    for (let ky = 0; ky < kh; ky++) {
      const iy = y0 + ky * dh;
      for (let kx = 0; kx < kw; kx++) {
        const ix = x0 + kx * dw;
        if (iy < 0 || iy >= height || ix < 0 || ix >= width) {
          if (iy >= -window.padTop && iy < height + window.padBottom && ix >= -window.padLeft && ix < width + window.padRight) padded++;
          continue;
        }
        inside++;
        const inBase = (iy * width + ix) * channels;
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
      const divisor = countIncludePad ? inside + padded : inside;
      for (let c = 0; c < channels; c++) output[outBase + c]! /= divisor;
    }
  }
  return readSum - readSum === 0;
}
