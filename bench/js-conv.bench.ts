/**
 * Plain-JS sparse delta conv vs plain-JS dense conv on a 3x3 64->64 layer over 56x56, at 1-100%
 * active input pixels, and the crossover where the sparse update stops paying (the JS backend's
 * `denseCrossover`).
 */
import { detectActive } from '../src/kernels/js/activity.js';
import { convDense } from '../src/kernels/js/conv-dense.js';
import { convScatter } from '../src/kernels/js/conv-scatter.js';
import { clearTouched, createTouchedPixels } from '../src/kernels/touched-pixels.js';
import { denseConvMacs, type ConvGeometry } from '../src/kernels/geometry.js';
import { jsBackend } from '../src/kernels/js/js-backend.js';
import { packConvWeights } from '../src/kernels/pack.js';
import { printTable, time } from './harness.js';

const geometry: ConvGeometry = {
  inHeight: 56, inWidth: 56, inChannels: 64, outHeight: 56, outWidth: 56, outChannels: 64,
  kernelHeight: 3, kernelWidth: 3, strideH: 1, strideW: 1, dilationH: 1, dilationW: 1,
  padTop: 1, padLeft: 1, padBottom: 1, padRight: 1, groups: 1,
};

export async function run(): Promise<void> {
  const g = geometry;
  let seed = 1;
  const random = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32) * 2 - 1;
  const weight = Float32Array.from({ length: 64 * 64 * 9 }, random);
  const packed = packConvWeights(weight, 64, 64, 1, 3, 3);
  const bias = Float32Array.from({ length: 64 }, random);
  const pixels = g.inHeight * g.inWidth;
  const input = Float32Array.from({ length: pixels * 64 }, random);
  const projection = new Float32Array(g.outHeight * g.outWidth * 64);
  const denseMacs = denseConvMacs(g);

  const dense = time(() => convDense(g, packed, bias, input, projection), 5, 2);
  const gflops = (macs: number, ms: number) => ((2 * macs) / ms / 1e6).toFixed(2);
  console.log(`\nPlain-JS conv 3x3 64->64 on 56x56 (${(denseMacs / 1e6).toFixed(0)} M multiply-adds), medians of 7 runs`);
  const rows: (string | number)[][] = [];
  const ratios: [number, number][] = [];
  for (const percent of [1, 5, 10, 25, 50, 100]) {
    // A changed input: `percent` of the pixels (spread at random) differ from the integrated input.
    const changed = input.slice();
    const integrated = input.slice();
    for (let p = 0; p < pixels; p++) {
      if ((p * 7919) % 100 < percent) for (let c = 0; c < 64; c++) changed[p * 64 + c]! += 0.5;
    }
    const active = new Int32Array(pixels);
    const deltas = new Float32Array(pixels * 64);
    const touched = createTouchedPixels(g.outHeight * g.outWidth);
    let macs = 0;
    const sparse = time(() => {
      integrated.set(input); // restore Ĩ so every run integrates the same change
      clearTouched(touched);
      const count = detectActive(changed, integrated, 64, 0, null, 0, active, deltas);
      macs = convScatter(g, packed, active, count, deltas, projection, touched);
    }, 7, 2);
    const ratio = dense.medianMs / sparse.medianMs;
    ratios.push([percent, ratio]);
    rows.push([`${percent}%`, sparse.medianMs.toFixed(2), gflops(macs, sparse.medianMs), dense.medianMs.toFixed(2), gflops(denseMacs, dense.medianMs), `${ratio.toFixed(2)}x`]);
  }
  printTable(['active pixels', 'sparse ms', 'sparse useful GFLOP/s', 'dense ms', 'dense GFLOP/s', 'dense/sparse'], rows);
  console.log(`Measured crossover: ${crossoverPercent(ratios)}; jsBackend.denseCrossover = ${jsBackend.denseCrossover(geometry) * 100}%`);
}

/** Where dense/sparse falls through 1, interpolated linearly between the measured rows. */
export function crossoverPercent(ratios: readonly (readonly [number, number])[]): string {
  for (let k = 1; k < ratios.length; k++) {
    const [p0, r0] = ratios[k - 1]!;
    const [p1, r1] = ratios[k]!;
    if (r0 >= 1 && r1 < 1) return `sparse stops paying at about ${(p0 + ((r0 - 1) / (r0 - r1)) * (p1 - p0)).toFixed(0)}% active pixels`;
  }
  return ratios.at(-1)![1] >= 1 ? 'sparse wins even at 100% active pixels' : 'sparse loses already at the lowest fraction';
}
