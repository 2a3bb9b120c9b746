// Optimized conv kernels against the naive direct-loop reference, over random layer shapes.
import fc from 'fast-check';
import t from 'tap';
import { detectActive } from '../../src/kernels/js/activity.js';
import { convDense } from '../../src/kernels/js/conv-dense.js';
import { convScatter } from '../../src/kernels/js/conv-scatter.js';
import { createTouchedPixels } from '../../src/kernels/touched-pixels.js';
import { jsBackend } from '../../src/kernels/js/js-backend.js';
import { packConvWeights } from '../../src/kernels/pack.js';
import { convReference, scatterMacsReference } from '../helpers/reference/conv.js';
import { convCase } from '../helpers/geometry.js';
import { maxAbsDiff, perturbPixels } from '../helpers/maps.js';
import { prng, randomArray } from '../helpers/random.js';

const tolerance = (expected: Float32Array) => 1e-5 * Math.max(1, ...expected.map(Math.abs));

t.test('dense conv equals the reference on random shapes (borders, strides, dilation, groups)', async (t) => {
  fc.assert(
    fc.property(convCase(), fc.integer(), ({ geometry: g }, seed) => {
      const random = prng(seed);
      const weight = randomArray(random, g.outChannels * (g.inChannels / g.groups) * g.kernelHeight * g.kernelWidth);
      const bias = random() < 0.5 ? randomArray(random, g.outChannels) : undefined;
      const input = randomArray(random, g.inHeight * g.inWidth * g.inChannels);
      const expected = convReference(g, weight, bias, input);
      const actual = new Float32Array(expected.length);
      convDense(g, packConvWeights(weight, g.outChannels, g.inChannels, g.groups, g.kernelHeight, g.kernelWidth), bias, input, actual);
      return maxAbsDiff(actual, expected) <= tolerance(expected);
    }),
    { numRuns: 300 },
  );
  t.pass('300 random layers');
});

t.test('sparse scatter update equals the reference on the changed input, with the exact multiply-add count', async (t) => {
  fc.assert(
    fc.property(convCase(), fc.integer(), fc.double({ min: 0, max: 1, noNaN: true }), ({ geometry: g }, seed, fraction) => {
      const random = prng(seed);
      const weight = randomArray(random, g.outChannels * (g.inChannels / g.groups) * g.kernelHeight * g.kernelWidth);
      const packed = packConvWeights(weight, g.outChannels, g.inChannels, g.groups, g.kernelHeight, g.kernelWidth);
      const before = randomArray(random, g.inHeight * g.inWidth * g.inChannels);
      const after = perturbPixels(before, g.inChannels, fraction, random);
      const projection = convReference(g, weight, undefined, before);
      const integrated = before.slice();
      const pixels = g.inHeight * g.inWidth;
      const active = new Int32Array(pixels);
      const deltas = new Float32Array(pixels * g.inChannels);
      const count = detectActive(after, integrated, g.inChannels, 0, null, 0, active, deltas);
      const touched = createTouchedPixels(g.outHeight * g.outWidth);
      const macs = convScatter(g, packed, active, count, deltas, projection, touched);
      const expected = convReference(g, weight, undefined, after);
      const activeList = Array.from(active.subarray(0, count));
      // Every output pixel whose value moved must be listed as touched.
      const listed = new Set(touched.list.subarray(0, touched.count));
      const before0 = convReference(g, weight, undefined, before);
      for (let p = 0; p < g.outHeight * g.outWidth; p++) {
        for (let c = 0; c < g.outChannels; c++) {
          if (before0[p * g.outChannels + c] !== expected[p * g.outChannels + c] && !listed.has(p)) return false;
        }
      }
      return (
        maxAbsDiff(projection, expected) <= tolerance(expected) &&
        macs === scatterMacsReference(g, activeList) &&
        maxAbsDiff(integrated, after) === 0
      );
    }),
    { numRuns: 300 },
  );
  t.pass('300 random layers and change patterns');
});

t.test('wide layers (64 channels) through the JS engine: keyframe then deltas', async (t) => {
  const random = prng(7);
  for (const groups of [1, 64]) {
    const g = {
      inHeight: 9, inWidth: 11, inChannels: 64, outHeight: 5, outWidth: 6, outChannels: 64,
      kernelHeight: 3, kernelWidth: 3, strideH: 2, strideW: 2, dilationH: 1, dilationW: 1,
      padTop: 1, padLeft: 1, padBottom: 1, padRight: 1, groups,
    };
    const weight = randomArray(random, 64 * (64 / groups) * 9);
    const bias = randomArray(random, 64);
    const engine = jsBackend.createConvEngine(g, { packed: packConvWeights(weight, 64, 64, groups, 3, 3), bias });
    let input = randomArray(random, 9 * 11 * 64);
    engine.keyframe(input);
    t.ok(maxAbsDiff(engine.projection, convReference(g, weight, bias, input)) < 1e-4, `groups ${groups}: keyframe`);
    for (let frame = 0; frame < 5; frame++) {
      input = perturbPixels(input, 64, 0.2, random);
      const result = engine.update(input, 0, null, 0, 1);
      t.equal(result.dense, false);
      t.ok(maxAbsDiff(engine.projection, convReference(g, weight, bias, input)) < 1e-4, `groups ${groups}: delta ${frame}`);
    }
  }
});
