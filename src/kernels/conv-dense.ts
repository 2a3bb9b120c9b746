/**
 * Plain-JS dense convolution over HWC maps and packed weights (see `pack.ts`), the keyframe and
 * dense-fallback path of the JS backend. Gather form: each output pixel accumulates its taps; output
 * channels are processed four at a time in locals so that V8 keeps the accumulators in registers.
 */
import type { ConvGeometry } from './geometry.js';

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
  const outBlocks = outPerGroup & ~3;
  for (let oy = 0; oy < g.outHeight; oy++) {
    const iyOrigin = oy * g.strideH - g.padTop;
    for (let ox = 0; ox < g.outWidth; ox++) {
      const ixOrigin = ox * g.strideW - g.padLeft;
      const outBase = (oy * g.outWidth + ox) * outC;
      for (let group = 0; group < g.groups; group++) {
        const ciStart = group * inPerGroup;
        const ciEnd = ciStart + inPerGroup;
        const outGroupBase = outBase + group * outPerGroup;
        let co = 0;
        for (; co < outBlocks; co += 4) {
          const oc = group * outPerGroup + co;
          let a0 = bias ? bias[oc]! : 0;
          let a1 = bias ? bias[oc + 1]! : 0;
          let a2 = bias ? bias[oc + 2]! : 0;
          let a3 = bias ? bias[oc + 3]! : 0;
          for (let ky = 0; ky < g.kernelHeight; ky++) {
            const iy = iyOrigin + ky * g.dilationH;
            if (iy < 0 || iy >= g.inHeight) continue;
            for (let kx = 0; kx < g.kernelWidth; kx++) {
              const ix = ixOrigin + kx * g.dilationW;
              if (ix < 0 || ix >= g.inWidth) continue;
              const inBase = (iy * g.inWidth + ix) * inC;
              let w = (ky * g.kernelWidth + kx) * tapStride + ciStart * outPerGroup + co;
              for (let ci = ciStart; ci < ciEnd; ci++, w += outPerGroup) {
                const v = input[inBase + ci]!;
                a0 += v * packedWeight[w]!;
                a1 += v * packedWeight[w + 1]!;
                a2 += v * packedWeight[w + 2]!;
                a3 += v * packedWeight[w + 3]!;
              }
            }
          }
          projection[outGroupBase + co] = a0;
          projection[outGroupBase + co + 1] = a1;
          projection[outGroupBase + co + 2] = a2;
          projection[outGroupBase + co + 3] = a3;
        }
        for (; co < outPerGroup; co++) {
          let a = bias ? bias[group * outPerGroup + co]! : 0;
          for (let ky = 0; ky < g.kernelHeight; ky++) {
            const iy = iyOrigin + ky * g.dilationH;
            if (iy < 0 || iy >= g.inHeight) continue;
            for (let kx = 0; kx < g.kernelWidth; kx++) {
              const ix = ixOrigin + kx * g.dilationW;
              if (ix < 0 || ix >= g.inWidth) continue;
              const inBase = (iy * g.inWidth + ix) * inC;
              let w = (ky * g.kernelWidth + kx) * tapStride + ciStart * outPerGroup + co;
              for (let ci = ciStart; ci < ciEnd; ci++, w += outPerGroup) a += input[inBase + ci]! * packedWeight[w]!;
            }
          }
          projection[outGroupBase + co] = a;
        }
      }
    }
  }
}
