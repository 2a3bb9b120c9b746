// What only the native backend has: its helper thread, and an addon that refuses bad arguments
// with an exception instead of reading or writing out of bounds. The kernel contract: engine.test.ts.
import t from 'tap';
import type { ConvGeometry } from '../../src/kernels/geometry.js';
import { loadNativeAddon } from '../../src/kernels/native/native-addon.js';
import { createNativeBackend, nativeKernelStatus } from '../../src/kernels/native/native-backend.js';
import { geometryFields } from '../../src/kernels/native/native-state.js';
import { maxAbsDiff, perturbPixels } from '../helpers/maps.js';
import { prng, randomArray } from '../helpers/random.js';
import { convReference } from '../helpers/reference/conv.js';
import { randomLayer, squareConv as geometry } from '../helpers/geometry.js';

const status = nativeKernelStatus();
if (!status.available) {
  t.test('native kernels', { skip: `not available: ${status.reason}` }, async () => {});
} else {
  const tolerance = (expected: Float32Array) => 1e-5 * expected.reduce((m, v) => Math.max(m, Math.abs(v)), 1);
  const layer = (g: ConvGeometry, random: () => number) => randomLayer(g, random, true);

  for (const instructionSet of status.instructionSets) {
    t.test(`${instructionSet}, two threads: dense convs and large recomputes split with the helper thread and equal the reference`, async (t) => {
      const backend = createNativeBackend({ instructionSet, threads: 2 });
      const random = prng(17);
      const cases: [string, ConvGeometry, number][] = [
        ['3x3 64->64, odd rows', geometry(25, 21, 64, 64, 3, 1, 1), 0.3],
        ['depthwise 5x5 128ch', geometry(33, 40, 128, 128, 5, 1, 128), 0.2],
        ['1x1 96->40 (channel tails)', geometry(30, 31, 96, 40, 1, 1, 1), 0.3],
        ['narrow stem 3x3 stride 2, 3->16 (recomputed)', geometry(120, 160, 3, 16, 3, 2, 1), 0.4],
      ];
      for (const [label, g, fraction] of cases) {
        const { weight, bias, prepared } = layer(g, random);
        const engine = backend.createConvEngine(g, prepared, { kind: 'relu', leakyReluAlpha: 0.01 });
        let input = randomArray(random, g.inHeight * g.inWidth * g.inChannels);
        engine.keyframe(input);
        for (let frame = 0; frame < 4; frame++) {
          input = perturbPixels(input, g.inChannels, frame === 3 ? 0.95 : fraction, random);
          const result = engine.update(input, 0, null, 0, 0.9);
          const expected = convReference(g, weight, bias, input);
          t.ok(maxAbsDiff(engine.projection, expected) <= tolerance(expected), `${label}, frame ${frame} (${result.dense ? 'dense' : 'sparse'}): P = reference`);
          t.ok(maxAbsDiff(engine.output, Float32Array.from(expected, (x) => Math.max(x, 0))) <= tolerance(expected), `${label}, frame ${frame}: f(P) = reference`);
        }
      }
    });
  }

  t.test('the addon refuses bad arguments with a TypeError, never touching memory out of bounds', async (t) => {
    const loaded = loadNativeAddon();
    if (!('addon' in loaded)) throw new Error(loaded.error);
    const { addon } = loaded;
    const set = status.instructionSets[0]!;
    const g = geometry(6, 7, 8, 16, 3, 1, 1);
    const { prepared } = layer(g, prng(2));
    const fields = geometryFields(g);
    const weights = addon.prepareWeights(set, fields, prepared.packed, prepared.bias ?? null);
    const [engine] = addon.createEngine(weights, fields, 1, 0.01);
    const input = new Float32Array(6 * 7 * 8);
    t.equal(addon.recompute(engine, input), -1, 'a good call works');
    const refused: [string, () => unknown][] = [
      ['an unknown instruction set', () => addon.prepareWeights('sse9' as never, fields, prepared.packed, null)],
      ['weights of the wrong length', () => addon.prepareWeights(set, fields, prepared.packed.subarray(1), null)],
      ['a negative padding', () => addon.prepareWeights(set, geometryFields({ ...g, padTop: -1 }), prepared.packed, null)],
      ['zero stride', () => addon.prepareWeights(set, geometryFields({ ...g, strideW: 0 }), prepared.packed, null)],
      ['an output larger than the padded input', () => addon.prepareWeights(set, geometryFields({ ...g, outHeight: 99 }), prepared.packed, null)],
      ['weights of another shape', () => addon.createEngine(weights, geometryFields(geometry(6, 7, 8, 8, 3, 1, 1)), 0, 0)],
      ['an unknown activation', () => addon.createEngine(weights, fields, 17, 0)],
      ['an engine that is a weights block', () => addon.recompute(weights, input)],
      ['a plain ArrayBuffer as engine', () => addon.recompute(new ArrayBuffer(4096), input)],
      ['an input of the wrong length', () => addon.recompute(engine, new Float32Array(10))],
      ['an input of the wrong type', () => addon.recompute(engine, new Float64Array(6 * 7 * 8) as never)],
      ['a candidate outside the map', () => addon.detect(engine, input, 0, Int32Array.of(3, 42), 2, 10)],
      ['a candidate count past the list', () => addon.detect(engine, input, 0, Int32Array.of(3), 5, 10)],
      ['a negative threshold', () => addon.detect(engine, input, -1, null, 0, 10)],
      ['an active count past the map', () => addon.sparseUpdate(engine, 43, false)],
      ['three threads', () => addon.setThreads(engine, 3 as never, 0)],
      ['a negative split threshold', () => addon.setThreads(engine, 2, -1)],
    ];
    for (const [label, call] of refused) t.throws(call, TypeError, label);
    t.equal(addon.recompute(engine, input), -1, 'the engine still works afterwards');
  });

  t.test('weights are prepared once per layer and shared by every subscription, whatever their input size', async (t) => {
    const backend = createNativeBackend();
    const random = prng(8);
    const small = geometry(8, 9, 16, 24, 3, 1, 1);
    const large = geometry(20, 17, 16, 24, 3, 1, 1);
    const { weight, bias, prepared } = layer(small, random);
    for (const g of [small, large, small]) {
      const engine = backend.createConvEngine(g, prepared);
      const input = randomArray(random, g.inHeight * g.inWidth * g.inChannels);
      engine.keyframe(input);
      const expected = convReference(g, weight, bias, input);
      t.ok(maxAbsDiff(engine.projection, expected) <= tolerance(expected), `${g.inHeight}x${g.inWidth}`);
    }
  });
}

