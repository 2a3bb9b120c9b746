/** Naive fully-connected layer over weights in their original [out, in] order: the oracle for `linear.ts`. */
export function linearReference(
  weight: Float32Array,
  bias: Float32Array | undefined,
  input: Float32Array,
  outFeatures: number,
): Float32Array {
  const inFeatures = input.length;
  const output = new Float32Array(outFeatures);
  for (let o = 0; o < outFeatures; o++) {
    let sum = bias ? bias[o]! : 0;
    for (let i = 0; i < inFeatures; i++) sum += weight[o * inFeatures + i]! * input[i]!;
    output[o] = sum;
  }
  return output;
}
