/** Weight repacking, done once when a layer is prepared. */

/**
 * ONNX/PyTorch conv weights `[outC, inC/groups, kH, kW]` to `[kH, kW, inC, outC/groups]`.
 *
 * In the packed order one input channel's contribution at one tap is a contiguous row of
 * outC/groups weights, which is what both the gather (dense) and the scatter (sparse) forms stream
 * over: `packed[((ky·kW + kx)·inC + ci)·outPerGroup + co]` multiplies input channel `ci` (global) into
 * output channel `group(ci)·outPerGroup + co`.
 */
export function packConvWeights(
  weight: Float32Array,
  outChannels: number,
  inChannels: number,
  groups: number,
  kernelHeight: number,
  kernelWidth: number,
): Float32Array {
  const inPerGroup = inChannels / groups;
  const outPerGroup = outChannels / groups;
  const packed = new Float32Array(weight.length);
  for (let oc = 0; oc < outChannels; oc++) {
    const group = Math.floor(oc / outPerGroup);
    const co = oc - group * outPerGroup;
    for (let cl = 0; cl < inPerGroup; cl++) {
      const ci = group * inPerGroup + cl;
      for (let ky = 0; ky < kernelHeight; ky++) {
        for (let kx = 0; kx < kernelWidth; kx++) {
          const source = ((oc * inPerGroup + cl) * kernelHeight + ky) * kernelWidth + kx;
          packed[((ky * kernelWidth + kx) * inChannels + ci) * outPerGroup + co] = weight[source]!;
        }
      }
    }
  }
  return packed;
}

/** Fully-connected weights `[out, in]` to `[in, out]`: one input's column becomes a contiguous row. */
export function packLinearWeights(weight: Float32Array, outFeatures: number, inFeatures: number): Float32Array {
  const packed = new Float32Array(weight.length);
  for (let o = 0; o < outFeatures; o++) {
    for (let i = 0; i < inFeatures; i++) packed[i * outFeatures + o] = weight[o * inFeatures + i]!;
  }
  return packed;
}
