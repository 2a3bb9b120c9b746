/**
 * Plain-JS dense convolution over HWC maps and packed weights (see `pack.ts`), the keyframe and
 * dense-fallback path of the JS backend. Loops run tap by tap: one tap's weights (inC x outC/groups)
 * stay in L1 while an output pixel accumulates, which measured faster than holding accumulators
 * across all taps and streaming every weight per pixel.
 */
import type { ConvGeometry } from '../geometry.js';
import { accumulateDepthwiseTap, accumulateTap } from './tap-accumulate.js';

/** `projection = W·input + bias` for the whole map. */
export function convDense(
  g: ConvGeometry,
  packedWeight: Float32Array,
  bias: Float32Array | undefined,
  input: Float32Array,
  projection: Float32Array,
): void {
  const inC = g.inChannels;
  const outC = g.outChannels;
  const inPerGroup = inC / g.groups;
  const outPerGroup = outC / g.groups;
  const tapStride = inC * outPerGroup;
  const depthwise = inPerGroup === 1 && outPerGroup === 1;
  for (let oy = 0; oy < g.outHeight; oy++) {
    const iyOrigin = oy * g.strideH - g.padTop;
    for (let ox = 0; ox < g.outWidth; ox++) {
      const ixOrigin = ox * g.strideW - g.padLeft;
      const outBase = (oy * g.outWidth + ox) * outC;
      if (bias) projection.set(bias, outBase);
      else projection.fill(0, outBase, outBase + outC);
      for (let ky = 0; ky < g.kernelHeight; ky++) {
        const iy = iyOrigin + ky * g.dilationH;
        if (iy < 0 || iy >= g.inHeight) continue;
        for (let kx = 0; kx < g.kernelWidth; kx++) {
          const ix = ixOrigin + kx * g.dilationW;
          if (ix < 0 || ix >= g.inWidth) continue;
          const inBase = (iy * g.inWidth + ix) * inC;
          const wTap = (ky * g.kernelWidth + kx) * tapStride;
          if (depthwise) {
            accumulateDepthwiseTap(projection, outBase, packedWeight, wTap, input, inBase, inC);
            continue;
          }
          for (let group = 0; group < g.groups; group++) {
            accumulateTap(projection, outBase + group * outPerGroup, packedWeight, wTap + group * inPerGroup * outPerGroup, input, inBase + group * inPerGroup, inPerGroup, outPerGroup);
          }
        }
      }
    }
  }
}
