/**
 * Naive direct-loop convolution: the oracle every optimized conv kernel is tested against.
 * It reads the weights in their original ONNX/PyTorch order [outC, inC/groups, kH, kW], so it also
 * checks the repacking that the fast kernels depend on.
 */
import type { ConvGeometry } from '../../../src/kernels/geometry.js';

/** `output[oy, ox, oc] = bias[oc] + Σ weight[oc, ci, ky, kx] · input[iy, ix, g·inPerGroup + ci]` (HWC). */
export function convReference(
  g: ConvGeometry,
  weight: Float32Array,
  bias: Float32Array | undefined,
  input: Float32Array,
): Float32Array {
  const output = new Float32Array(g.outHeight * g.outWidth * g.outChannels);
  const inPerGroup = g.inChannels / g.groups;
  const outPerGroup = g.outChannels / g.groups;
  for (let oy = 0; oy < g.outHeight; oy++) {
    for (let ox = 0; ox < g.outWidth; ox++) {
      for (let oc = 0; oc < g.outChannels; oc++) {
        const group = Math.floor(oc / outPerGroup);
        let sum = bias ? bias[oc]! : 0;
        for (let ci = 0; ci < inPerGroup; ci++) {
          for (let ky = 0; ky < g.kernelHeight; ky++) {
            const iy = oy * g.strideH - g.padTop + ky * g.dilationH;
            if (iy < 0 || iy >= g.inHeight) continue;
            for (let kx = 0; kx < g.kernelWidth; kx++) {
              const ix = ox * g.strideW - g.padLeft + kx * g.dilationW;
              if (ix < 0 || ix >= g.inWidth) continue;
              const w = weight[((oc * inPerGroup + ci) * g.kernelHeight + ky) * g.kernelWidth + kx]!;
              sum += w * input[(iy * g.inWidth + ix) * g.inChannels + group * inPerGroup + ci]!;
            }
          }
        }
        output[(oy * g.outWidth + ox) * g.outChannels + oc] = sum;
      }
    }
  }
  return output;
}

/**
 * Multiply-adds the sparse scatter must do for the given active input pixels: for every active pixel,
 * every kernel tap that lands on an output pixel costs inChannels x outChannels/groups. Counted here
 * by brute force over output pixels, independently of the scatter's own arithmetic.
 */
export function scatterMacsReference(g: ConvGeometry, activePixels: Iterable<number>): number {
  const outPerGroup = g.outChannels / g.groups;
  let taps = 0;
  for (const pixel of activePixels) {
    const iy = Math.floor(pixel / g.inWidth);
    const ix = pixel % g.inWidth;
    for (let oy = 0; oy < g.outHeight; oy++) {
      for (let ox = 0; ox < g.outWidth; ox++) {
        for (let ky = 0; ky < g.kernelHeight; ky++) {
          for (let kx = 0; kx < g.kernelWidth; kx++) {
            if (oy * g.strideH - g.padTop + ky * g.dilationH === iy && ox * g.strideW - g.padLeft + kx * g.dilationW === ix) {
              taps++;
            }
          }
        }
      }
    }
  }
  return taps * g.inChannels * outPerGroup;
}
