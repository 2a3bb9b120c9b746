/** The inner loop shared by the dense and the scatter conv: one kernel tap of one group. */

/**
 * `projection[o .. o+outPerGroup) += Σ_ci values[v+ci] · weights[w + ci·outPerGroup ..]`, four output
 * channels at a time in locals, so each projection value is loaded and stored once per tap.
 */
export function accumulateTap(
  projection: Float32Array,
  o: number,
  weights: Float32Array,
  w: number,
  values: Float32Array,
  v: number,
  inPerGroup: number,
  outPerGroup: number,
): void {
  const blocks = outPerGroup & ~3;
  let co = 0;
  for (; co < blocks; co += 4) {
    let a0 = projection[o + co]!;
    let a1 = projection[o + co + 1]!;
    let a2 = projection[o + co + 2]!;
    let a3 = projection[o + co + 3]!;
    for (let ci = 0, wi = w + co; ci < inPerGroup; ci++, wi += outPerGroup) {
      const delta = values[v + ci]!;
      a0 += delta * weights[wi]!;
      a1 += delta * weights[wi + 1]!;
      a2 += delta * weights[wi + 2]!;
      a3 += delta * weights[wi + 3]!;
    }
    projection[o + co] = a0;
    projection[o + co + 1] = a1;
    projection[o + co + 2] = a2;
    projection[o + co + 3] = a3;
  }
  for (; co < outPerGroup; co++) {
    let a = projection[o + co]!;
    for (let ci = 0, wi = w + co; ci < inPerGroup; ci++, wi += outPerGroup) a += values[v + ci]! * weights[wi]!;
    projection[o + co] = a;
  }
}

/**
 * The depthwise case (one input and one output channel per group): every channel is its own group,
 * so a tap is a plain element-wise multiply-add along the pixel's channels, with no per-group call.
 */
export function accumulateDepthwiseTap(projection: Float32Array, o: number, weights: Float32Array, w: number, values: Float32Array, v: number, channels: number): void {
  for (let c = 0; c < channels; c++) projection[o + c]! += values[v + c]! * weights[w + c]!;
}
