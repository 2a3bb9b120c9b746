// The kernel contract, on every backend this machine runs (plain JS, both wasm builds, the native
// kernels per instruction set): each against the naive reference and against the plain-JS backend
// (multiply-add counts, touched pixels, errors), over random shapes.
import fc from 'fast-check';
import t from 'tap';
import type { ConvEngine, KernelBackend } from '../../src/kernels/backend.js';
import { ACTIVATIONS, activate } from '../../src/kernels/activation.js';
import { jsBackend } from '../../src/kernels/js/js-backend.js';
import { backendsUnderTest, recomputeMacs } from '../helpers/backends.js';
import { convCase, pointwiseCase, randomLayer as layer, squareConv as geometry } from '../helpers/geometry.js';
import { maxAbsDiff, perturbPixels } from '../helpers/maps.js';
import { prng, randomArray } from '../helpers/random.js';
import { convReference } from '../helpers/reference/conv.js';

const { available, unavailable } = backendsUnderTest();
for (const { label, reason } of unavailable) t.test(`${label} kernels`, { skip: reason }, async () => {});
const tolerance = (expected: Float32Array) => 1e-5 * expected.reduce((m, v) => Math.max(m, Math.abs(v)), 1);


for (const { label, backend, recomputes } of available) {
  t.test(`${label}: keyframe equals the reference on random shapes (kernel 1-7, stride, dilation, padding, groups, 64 channels)`, async (t) => {
    fc.assert(
      fc.property(fc.oneof(convCase(), convCase(64), pointwiseCase()), fc.integer(), ({ geometry: g }, seed) => {
        const random = prng(seed);
        const { weight, bias, prepared } = layer(g, random);
        const input = randomArray(random, g.inHeight * g.inWidth * g.inChannels);
        const engine = backend.createConvEngine(g, prepared);
        engine.keyframe(input);
        const expected = convReference(g, weight, bias, input);
        const ok = maxAbsDiff(engine.projection, expected) <= tolerance(expected);
        engine.dispose();
        return ok;
      }),
      { numRuns: label === 'js' ? 100 : 300 },
    );
    t.pass('random layers');
  });

  t.test(`${label}: keyframe then random sparse deltas equal the reference, with the JS engine's active pixels, multiply-adds, touched pixels and activated output`, async (t) => {
    fc.assert(
      fc.property(fc.oneof(convCase(), convCase(64), pointwiseCase()), fc.integer(), fc.boolean(), fc.constantFrom(...ACTIVATIONS), ({ geometry: g }, seed, useCandidates, kind) => {
        const random = prng(seed);
        const { weight, bias, prepared } = layer(g, random);
        const activation = { kind, leakyReluAlpha: 0.1 };
        const engine = backend.createConvEngine(g, prepared, activation);
        const js = jsBackend.createConvEngine(g, prepared, activation);
        let input = randomArray(random, g.inHeight * g.inWidth * g.inChannels);
        engine.keyframe(input);
        js.keyframe(input);
        // f(P) from the reference projection, value by value with the scalar definition; every
        // activation is at most 1.5-Lipschitz (hardSwish), so P's tolerance carries over.
        const activated = (expected: Float32Array) => Float32Array.from(expected, (x) => activate(kind, x, 0.1));
        const outputTolerance = (projection: Float32Array) => 1.5 * tolerance(projection);
        try {
          const expected0 = convReference(g, weight, bias, input);
          if (maxAbsDiff(engine.output, activated(expected0)) > outputTolerance(expected0)) return false;
          for (let frame = 0; frame < 4; frame++) {
            const next = perturbPixels(input, g.inChannels, random() * random(), random);
            const candidates = useCandidates ? changedPixels(input, next, g.inChannels) : null;
            const count = candidates ? candidates.length : 0;
            const result = engine.update(next, 0, candidates, count, 1);
            const j = js.update(next, 0, candidates, count, 1);
            input = next;
            const expected = convReference(g, weight, bias, input);
            if (maxAbsDiff(engine.projection, expected) > tolerance(expected)) return false;
            if (maxAbsDiff(engine.output, activated(expected)) > outputTolerance(expected)) return false;
            const macs = recomputes(g) ? recomputeMacs(g, j.touchedCount) : j.macs;
            if (result.activePixels !== j.activePixels || result.macs !== macs || result.dense || result.touchedCount !== j.touchedCount) return false;
            const sorted = (list: Int32Array, count: number) => Array.from(list.subarray(0, count)).sort((a, b) => a - b).join();
            if (sorted(result.touched, result.touchedCount) !== sorted(j.touched, j.touchedCount)) return false;
          }
          return true;
        } finally {
          engine.dispose();
        }
      }),
      { numRuns: label === 'js' ? 80 : 200 },
    );
    t.pass('random layers, 4 delta frames each');
  });

  t.test(`${label}: dense fallbacks between sparse frames: detection stops just past the crossover, and P stays exact`, async (t) => {
    fc.assert(
      fc.property(fc.oneof(convCase(), pointwiseCase()), fc.integer(), fc.boolean(), fc.double({ min: 0, max: 0.6, noNaN: true }), ({ geometry: g }, seed, useCandidates, denseFraction) => {
        const random = prng(seed);
        const { weight, bias, prepared } = layer(g, random);
        const engine = backend.createConvEngine(g, prepared);
        const js = jsBackend.createConvEngine(g, prepared);
        // As the engine computes it: the pixel count first (0.6 · 18 · 5 rounds to 53.999…, 0.6 · 90 to 54).
        const maxActive = Math.floor(denseFraction * (g.inHeight * g.inWidth));
        let input = randomArray(random, g.inHeight * g.inWidth * g.inChannels);
        engine.keyframe(input);
        js.keyframe(input);
        try {
          for (let frame = 0; frame < 6; frame++) {
            // Alternately few and many changed pixels, so that frames go sparse and dense in turn.
            const next = perturbPixels(input, g.inChannels, frame % 2 === 0 ? 0.05 : 0.9, random);
            const candidates = useCandidates ? changedPixels(input, next, g.inChannels) : null;
            const count = candidates ? candidates.length : 0;
            const result = engine.update(next, 0, candidates, count, denseFraction);
            const j = js.update(next, 0, candidates, count, denseFraction);
            input = next;
            if (result.dense !== j.dense || result.activePixels !== j.activePixels) return false;
            if (result.dense ? result.activePixels !== maxActive + 1 : result.activePixels > maxActive) return false;
            const expected = convReference(g, weight, bias, input);
            if (maxAbsDiff(engine.projection, expected) > tolerance(expected)) return false;
          }
          return true;
        } finally {
          engine.dispose();
        }
      }),
      { numRuns: label === 'js' ? 60 : 150 },
    );
    t.pass('random layers, 6 frames each');
  });

  t.test(`${label}: thresholded deltas defer sub-threshold change exactly like the JS engine`, async (t) => {
    const random = prng(11);
    for (const groups of [1, 2, 24]) {
      const g = geometry(10, 12, 24, 24, 3, 1, groups);
      const { prepared } = layer(g, random);
      const engine = backend.createConvEngine(g, prepared);
      const js = jsBackend.createConvEngine(g, prepared);
      let input = randomArray(random, 10 * 12 * 24);
      engine.keyframe(input);
      js.keyframe(input);
      for (let frame = 0; frame < 20; frame++) {
        input = perturbPixels(input, 24, frame % 5 === 4 ? 0.9 : 0.3, random, 0.2);
        const r = engine.update(input, 0.05, null, 0, 0.5);
        const j = js.update(input, 0.05, null, 0, 0.5);
        t.same([r.activePixels, r.macs, r.dense], [j.activePixels, j.macs, j.dense], `groups ${groups}, frame ${frame}: counts`);
        t.ok(maxAbsDiff(engine.projection, js.projection) < 1e-4, `groups ${groups}, frame ${frame}: projection`);
      }
      engine.dispose();
    }
  });

  t.test(`${label}: candidates with the dense fallback: pixels outside the candidates still come from the full input`, async (t) => {
    const random = prng(23);
    const g = geometry(40, 40, 8, 8, 3, 1, 1);
    const { weight, bias, prepared } = layer(g, random);
    const engine = backend.createConvEngine(g, prepared);
    let input = randomArray(random, 40 * 40 * 8);
    engine.keyframe(input);
    for (let frame = 0; frame < 6; frame++) {
      // A sub-threshold drift everywhere (pending in Ĩ), then 2.4% of the pixels change for real.
      const next = input.map((v) => v + 0.001);
      const changed = Int32Array.from({ length: 38 }, (_, k) => (k * 41 + frame) % 1600).sort();
      for (const p of changed) for (let c = 0; c < 8; c++) next[p * 8 + c]! += 1;
      // Candidates cover the big changes only (the drift is below τ = 0.01).
      const result = engine.update(next, 0.01, changed, changed.length, frame % 2 === 0 ? 0.01 : 1);
      input = next;
      t.equal(result.dense, frame % 2 === 0, `frame ${frame}: dense fallback as asked`);
      if (result.dense) {
        const expected = convReference(g, weight, bias, input);
        t.ok(maxAbsDiff(engine.projection, expected) <= tolerance(expected), `frame ${frame}: dense recompute uses the whole input`);
      }
    }
    engine.dispose();
  });

  t.test(`${label}: few candidates (runs and isolated pixels) give the reference result`, async (t) => {
    const random = prng(29);
    const g = geometry(50, 50, 12, 16, 3, 1, 1);
    const { weight, bias, prepared } = layer(g, random);
    const engine = backend.createConvEngine(g, prepared);
    let input = randomArray(random, 50 * 50 * 12);
    engine.keyframe(input);
    for (let frame = 0; frame < 5; frame++) {
      const run = Array.from({ length: 30 }, (_, k) => 600 + frame * 50 + k);
      const isolated = Array.from({ length: 20 }, (_, k) => 1500 + k * 47 + frame);
      const candidates = Int32Array.from([...run, ...isolated]).sort();
      const next = input.slice();
      for (const p of candidates) if (random() < 0.8) for (let c = 0; c < 12; c++) next[p * 12 + c]! += random() - 0.5;
      const result = engine.update(next, 0, candidates, candidates.length, 1);
      input = next;
      const expected = convReference(g, weight, bias, input);
      t.ok(!result.dense && maxAbsDiff(engine.projection, expected) <= tolerance(expected), `frame ${frame}`);
    }
    engine.dispose();
  });

  t.test(`${label}: a NaN or Infinity throws the JS engine's RangeError, on keyframes, sparse frames and dense fallbacks`, async (t) => {
    const random = prng(3);
    // Channel counts with and without a tail after the SIMD lanes; the bad value in the last channel
    // of a row's last pixel (the tail of a row copy); sparse (denseFraction 1) and dense (0).
    for (const channels of [4, 3, 6, 16, 21]) {
      const g = geometry(5, 6, channels, 8, 3, 1, 1);
      const { prepared } = layer(g, random);
      const message = (run: () => void) => {
        try {
          run();
          return 'no error';
        } catch (error) {
          return `${(error as Error).constructor.name}: ${(error as Error).message}`;
        }
      };
      for (const bad of [NaN, Infinity, -Infinity]) {
        const input = randomArray(random, 5 * 6 * channels);
        const next = input.slice();
        next[(2 * 6 + 5) * channels + channels - 1] = bad;
        const pattern = new RegExp(`^RangeError: input pixel \\(y=2, x=5\\) channel ${channels - 1} is ${bad}`);
        t.match(message(() => backend.createConvEngine(g, prepared).keyframe(next)), pattern, `${channels} channels, keyframe, ${bad}`);
        for (const denseFraction of [1, 0]) {
          const engine = backend.createConvEngine(g, prepared);
          engine.keyframe(input);
          t.match(message(() => engine.update(next, 0, null, 0, denseFraction)), pattern, `${channels} channels, denseFraction ${denseFraction}, ${bad}`);
          engine.dispose();
        }
      }
    }
  });

  t.test(`${label}: a layer reads the previous engine's output and touched list and equals the reference`, async (t) => {
    const random = prng(23);
    const g1 = geometry(20, 24, 8, 16, 3, 1, 1);
    const g2 = geometry(20, 24, 16, 16, 3, 1, 16);
    const l1 = layer(g1, random);
    const l2 = layer(g2, random);
    const relu = { kind: 'relu' as const, leakyReluAlpha: 0.01 };
    const chain = (b: KernelBackend): [ConvEngine, ConvEngine] => [b.createConvEngine(g1, l1.prepared, relu), b.createConvEngine(g2, l2.prepared)];
    const [a, b] = chain(backend);
    let input = randomArray(random, 20 * 24 * 8);
    a.keyframe(input);
    b.keyframe(a.output);
    for (let frame = 0; frame < 6; frame++) {
      input = perturbPixels(input, 8, 0.15, random);
      const result = a.update(input, 0, null, 0, 1);
      b.update(a.output, 0, result.touched.subarray(0, result.touchedCount), result.touchedCount, 1);
      const hidden = Float32Array.from(convReference(g1, l1.weight, l1.bias, input), (x) => Math.max(x, 0));
      const expected = convReference(g2, l2.weight, l2.bias, hidden);
      t.ok(maxAbsDiff(b.output, expected) <= tolerance(expected), `frame ${frame}: chain = reference`);
    }
    a.dispose();
    b.dispose();
  });
}

/** Pixels whose channels differ, in scan order, plus a few unchanged ones (candidates are a superset). */
function changedPixels(before: Float32Array, after: Float32Array, channels: number): Int32Array {
  const list: number[] = [];
  for (let p = 0; p < before.length / channels; p++) {
    let changed = p % 5 === 0;
    for (let c = 0; c < channels; c++) if (before[p * channels + c] !== after[p * channels + c]) changed = true;
    if (changed) list.push(p);
  }
  return Int32Array.from(list);
}

for (const { label, backend } of available) {
  t.test(`${label}: geometries a kernel cannot run and change hints outside the map are refused with a RangeError, before any state is built`, async (t) => {
    const g = geometry(6, 5, 4, 4, 3, 1, 1);
    const { prepared } = layer(g, prng(1));
    for (const [what, bad] of [['negative padding', { ...g, padTop: -1 }], ['zero stride', { ...g, strideH: 0 }], ['a fractional width', { ...g, inWidth: 5.5 }], ['an output the window does not give', { ...g, outHeight: 9 }]] as const) {
      t.throws(() => backend.createConvEngine(bad, prepared), RangeError, what);
    }
    const engine = backend.createConvEngine(g, prepared);
    const input = randomArray(prng(2), 6 * 5 * 4);
    engine.keyframe(input);
    t.throws(() => engine.update(input, 0, Int32Array.of(3, 30), 2, 1), /candidate pixel 30 is outside the 5x6 input/);
    t.throws(() => engine.update(input, 0, Int32Array.of(-1), 1, 1), /candidate pixel -1/);
    t.throws(() => engine.update(input, 0, Int32Array.of(1), 4, 1), /candidate count 4/);
    t.doesNotThrow(() => engine.update(input, 0, Int32Array.of(29), 1, 1), 'the last pixel is fine');
    engine.dispose();
  });
}
