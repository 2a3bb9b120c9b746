/**
 * Plain-JS sparse delta convolution, scatter form: every active input pixel adds `W[ky,kx]ᵀ·d` into
 * the one output pixel each kernel tap reaches. Work is proportional to the active pixels only.
 */
import type { ConvGeometry } from '../geometry.js';
import type { TouchedPixels } from '../touched-pixels.js';
import { accumulateDepthwiseTap, accumulateTap } from './tap-accumulate.js';

/**
 * `projection += W·D` where D is zero except at `activePixels[0..activeCount)` (input pixel indices)
 * whose channel values are `deltas[k·inC .. k·inC + inC)`. Adds every output pixel it writes to
 * `touched`. Returns the multiply-adds done: taps reached × inC × outC/groups per active pixel.
 */
export function convScatter(
  g: ConvGeometry,
  packedWeight: Float32Array,
  activePixels: Int32Array,
  activeCount: number,
  deltas: Float32Array,
  projection: Float32Array,
  touched: TouchedPixels,
): number {
  const inC = g.inChannels;
  const outC = g.outChannels;
  const inPerGroup = inC / g.groups;
  const outPerGroup = outC / g.groups;
  const tapStride = inC * outPerGroup;
  const depthwise = inPerGroup === 1 && outPerGroup === 1;
  const { marks, list } = touched;
  let touchedCount = touched.count;
  let taps = 0;
  for (let k = 0; k < activeCount; k++) {
    const pixel = activePixels[k]!;
    const iy = (pixel / g.inWidth) | 0;
    const ix = pixel - iy * g.inWidth;
    const deltaBase = k * inC;
    for (let ky = 0; ky < g.kernelHeight; ky++) {
      const yNum = iy + g.padTop - ky * g.dilationH;
      if (yNum < 0) break;
      const oy = (yNum / g.strideH) | 0;
      if (oy * g.strideH !== yNum || oy >= g.outHeight) continue;
      for (let kx = 0; kx < g.kernelWidth; kx++) {
        const xNum = ix + g.padLeft - kx * g.dilationW;
        if (xNum < 0) break;
        const ox = (xNum / g.strideW) | 0;
        if (ox * g.strideW !== xNum || ox >= g.outWidth) continue;
        taps++;
        const outPixel = oy * g.outWidth + ox;
        if (marks[outPixel] === 0) {
          marks[outPixel] = 1;
          list[touchedCount++] = outPixel;
        }
        const outBase = outPixel * outC;
        const wTap = (ky * g.kernelWidth + kx) * tapStride;
        if (depthwise) {
          accumulateDepthwiseTap(projection, outBase, packedWeight, wTap, deltas, deltaBase, inC);
          continue;
        }
        for (let group = 0; group < g.groups; group++) {
          accumulateTap(projection, outBase + group * outPerGroup, packedWeight, wTap + group * inPerGroup * outPerGroup, deltas, deltaBase + group * inPerGroup, inPerGroup, outPerGroup);
        }
      }
    }
  }
  touched.count = touchedCount;
  return taps * inC * outPerGroup;
}

