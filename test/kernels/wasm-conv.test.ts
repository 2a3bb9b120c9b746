// The WebAssembly SIMD engine against the naive reference and the plain-JS engine, over random shapes.
import fc from 'fast-check';
import t from 'tap';
import { setFlagsFromString } from 'node:v8';
import type { ConvEngine, PreparedWeights } from '../../src/kernels/backend.js';
import type { ConvGeometry } from '../../src/kernels/geometry.js';
import { jsBackend } from '../../src/kernels/js-backend.js';
import { ACTIVATIONS, activate } from '../../src/kernels/activation.js';
import { packConvWeights } from '../../src/kernels/pack.js';
import { convReference } from '../../src/kernels/reference/conv.js';
import { createWasmBackend, wasmBackend, wasmKernelStatus } from '../../src/kernels/wasm/wasm-backend.js';
import { recomputesTouched } from '../../src/kernels/wasm/wasm-engine.js';
import { denseConvMacs } from '../../src/kernels/geometry.js';
import { convCase, pointwiseCase } from '../helpers/geometry.js';
import { helperThread } from '../../src/kernels/wasm/helper-thread.js';
import { loadWasmRuntime } from '../../src/kernels/wasm/kernel-module.js';
import { maxAbsDiff, perturbPixels } from '../helpers/maps.js';
import { prng, randomArray } from '../helpers/random.js';

// Node 20 accepts relaxed SIMD behind this flag (Node 22+ by default): both builds of the kernels get tested.
setFlagsFromString('--experimental-wasm-relaxed-simd');
const status = wasmKernelStatus('simd');
if (!status.available) {
  t.skip(`wasm kernels not available: ${status.reason}`, async () => {});
} else {
  const instructionSets = (['simd', 'relaxed-simd'] as const).filter((set) => wasmKernelStatus(set).available);
  t.comment(`testing the ${instructionSets.join(' and ')} builds`);
  const tolerance = (expected: Float32Array) => 1e-5 * expected.reduce((m, v) => Math.max(m, Math.abs(v)), 1);

  const layer = (g: ConvGeometry, random: () => number) => {
    const weight = randomArray(random, g.outChannels * (g.inChannels / g.groups) * g.kernelHeight * g.kernelWidth);
    const bias = random() < 0.5 ? randomArray(random, g.outChannels) : undefined;
    const prepared: PreparedWeights = { packed: packConvWeights(weight, g.outChannels, g.inChannels, g.groups, g.kernelHeight, g.kernelWidth), bias };
    return { weight, bias, prepared };
  };

  for (const instructionSet of instructionSets) {
  const backend = createWasmBackend({ instructionSet });
  t.test(`${instructionSet}: wasm keyframe equals the reference on random shapes (kernel 1-7, stride, dilation, padding, groups, 64 channels)`, async (t) => {
    fc.assert(
      fc.property(fc.oneof(convCase(), convCase(64)), fc.integer(), ({ geometry: g }, seed) => {
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
      { numRuns: 300 },
    );
    t.pass('300 random layers');
  });

  t.test(`${instructionSet}: wasm deltas: keyframe then random sparse deltas equal the reference, with the JS engine’s MAC counts, touched pixels and activated output`, async (t) => {
    fc.assert(
      fc.property(fc.oneof(convCase(), convCase(64), pointwiseCase()), fc.integer(), fc.boolean(), fc.constantFrom(...ACTIVATIONS), ({ geometry: g }, seed, useCandidates, kind) => {
        const random = prng(seed);
        const { weight, bias, prepared } = layer(g, random);
        const activation = { kind, leakyReluAlpha: 0.1 };
        const wasm = backend.createConvEngine(g, prepared, activation);
        const js = jsBackend.createConvEngine(g, prepared, activation);
        let input = randomArray(random, g.inHeight * g.inWidth * g.inChannels);
        wasm.keyframe(input);
        js.keyframe(input);
        // f(P) from the reference projection, value by value with the scalar definition.
        const activated = (expected: Float32Array) => Float32Array.from(expected, (x) => activate(kind, x, 0.1));
        try {
          // Every activation is at most 1.5-Lipschitz (hardSwish), so P's tolerance carries over.
          const outputTolerance = (projection: Float32Array) => 1.5 * tolerance(projection);
          const expected0 = convReference(g, weight, bias, input);
          const first = activated(expected0);
          if (maxAbsDiff(wasm.output, first) > outputTolerance(expected0) || maxAbsDiff(js.output, first) > outputTolerance(expected0)) return false;
          for (let frame = 0; frame < 4; frame++) {
            const next = perturbPixels(input, g.inChannels, random() * random(), random);
            const candidates = useCandidates ? changedPixels(input, next, g.inChannels) : null;
            const count = candidates ? candidates.length : 0;
            const w = wasm.update(next, 0, candidates, count, 1);
            const j = js.update(next, 0, candidates, count, 1);
            input = next;
            const expected = convReference(g, weight, bias, input);
            if (maxAbsDiff(wasm.projection, expected) > tolerance(expected)) return false;
            const output = activated(expected);
            if (maxAbsDiff(wasm.output, output) > outputTolerance(expected) || maxAbsDiff(js.output, output) > outputTolerance(expected)) return false;
            // Narrow layers recompute every touched output pixel (all its taps) instead of scattering.
            const macs = recomputesTouched(g) ? (j.touchedCount * denseConvMacs(g)) / (g.outHeight * g.outWidth) : j.macs;
            if (w.activePixels !== j.activePixels || w.macs !== macs || w.dense || w.touchedCount !== j.touchedCount) return false;
            const wasmTouched = Array.from(w.touched.subarray(0, w.touchedCount)).sort((a, b) => a - b);
            const jsTouched = Array.from(j.touched.subarray(0, j.touchedCount)).sort((a, b) => a - b);
            if (wasmTouched.join() !== jsTouched.join()) return false;
          }
          return true;
        } finally {
          wasm.dispose();
        }
      }),
      { numRuns: 200 },
    );
    t.pass('200 random layers, 4 delta frames each');
  });

  t.test(`${instructionSet}: dense fallbacks between sparse frames: detection stops just past the crossover on both engines, and P stays exact`, async (t) => {
    fc.assert(
      fc.property(fc.oneof(convCase(), pointwiseCase()), fc.integer(), fc.boolean(), fc.double({ min: 0, max: 0.6, noNaN: true }), ({ geometry: g }, seed, useCandidates, denseFraction) => {
        const random = prng(seed);
        const { weight, bias, prepared } = layer(g, random);
        const wasm = backend.createConvEngine(g, prepared);
        const js = jsBackend.createConvEngine(g, prepared);
        const pixels = g.inHeight * g.inWidth;
        const maxActive = Math.floor(denseFraction * pixels);
        let input = randomArray(random, pixels * g.inChannels);
        wasm.keyframe(input);
        js.keyframe(input);
        try {
          for (let frame = 0; frame < 6; frame++) {
            // Alternately few and many changed pixels, so that frames go sparse and dense in turn.
            const next = perturbPixels(input, g.inChannels, frame % 2 === 0 ? 0.05 : 0.9, random);
            const candidates = useCandidates ? changedPixels(input, next, g.inChannels) : null;
            const count = candidates ? candidates.length : 0;
            const w = wasm.update(next, 0, candidates, count, denseFraction);
            const j = js.update(next, 0, candidates, count, denseFraction);
            input = next;
            if (w.dense !== j.dense || w.activePixels !== j.activePixels) return false;
            if (w.dense ? w.activePixels !== maxActive + 1 : w.activePixels > maxActive) return false;
            const expected = convReference(g, weight, bias, input);
            if (maxAbsDiff(wasm.projection, expected) > tolerance(expected) || maxAbsDiff(js.projection, expected) > tolerance(expected)) return false;
          }
          return true;
        } finally {
          wasm.dispose();
        }
      }),
      { numRuns: 150 },
    );
    t.pass('150 random layers, 6 frames each');
  });
  }

  t.test('two threads: dense keyframes and the dense fallback split rows with a worker and equal the reference', async (t) => {
    const { backend } = await twoThreads();
    const random = prng(17);
    const cases: [string, ConvGeometry][] = [
      ['3x3 64->64, odd rows', geometry(25, 20, 64, 64, 3, 1, 1)],
      ['3x3 32->48 stride 2', geometry(41, 37, 32, 48, 3, 2, 1)],
      ['depthwise 5x5 128ch', geometry(33, 40, 128, 128, 5, 1, 128)],
      ['1x1 96->40 (channel tails)', geometry(30, 31, 96, 40, 1, 1, 1)],
      ['grouped 3x3, 4 groups', geometry(30, 30, 64, 64, 3, 1, 4)],
    ];
    for (const [label, g] of cases) {
      const { weight, bias, prepared } = layer(g, random);
      const engine = backend.createConvEngine(g, prepared);
      let input = randomArray(random, g.inHeight * g.inWidth * g.inChannels);
      engine.keyframe(input);
      let expected = convReference(g, weight, bias, input);
      t.ok(maxAbsDiff(engine.projection, expected) <= tolerance(expected), `${label}: keyframe`);
      input = perturbPixels(input, g.inChannels, 0.9, random);
      const result = engine.update(input, 0, null, 0, 0.5);
      expected = convReference(g, weight, bias, input);
      t.ok(result.dense && maxAbsDiff(engine.projection, expected) <= tolerance(expected), `${label}: dense fallback`);
      engine.dispose();
    }
  });

  t.test('two threads: large sparse updates of pointwise and narrow layers split the touched pixels with the worker and equal the reference', async (t) => {
    const { backend, helper } = await twoThreads();
    const random = prng(29);
    const cases: [string, ConvGeometry, number][] = [
      ['pointwise 1x1 64->96 on 60x80, 30% active', geometry(60, 80, 64, 96, 1, 1, 1), 0.3],
      ['narrow stem 3x3 stride 2, 3->16 on 120x160, 40% active', geometry(120, 160, 3, 16, 3, 2, 1), 0.4],
    ];
    for (const [label, g, fraction] of cases) {
      const { weight, bias, prepared } = layer(g, random);
      const relu = { kind: 'relu' as const, leakyReluAlpha: 0.01 };
      const engine = backend.createConvEngine(g, prepared, relu);
      let input = randomArray(random, g.inHeight * g.inWidth * g.inChannels);
      engine.keyframe(input);
      for (let frame = 0; frame < 3; frame++) {
        input = perturbPixels(input, g.inChannels, fraction, random);
        const jobsBefore = helper.jobCount;
        const result = engine.update(input, 0, null, 0, 1);
        const expected = convReference(g, weight, bias, input);
        t.ok(!result.dense && helper.jobCount > jobsBefore, `${label}, frame ${frame}: sparse, on two threads`);
        t.ok(maxAbsDiff(engine.projection, expected) <= tolerance(expected), `${label}, frame ${frame}: P = reference`);
        const activated = Float32Array.from(expected, (x) => Math.max(x, 0));
        t.ok(maxAbsDiff(engine.output, activated) <= tolerance(expected), `${label}, frame ${frame}: f(P) = reference`);
        t.equal(result.macs, (result.touchedCount * denseConvMacs(g)) / (g.outHeight * g.outWidth), `${label}, frame ${frame}: every touched pixel recomputed`);
      }
      engine.dispose();
    }
  });

  t.test('thresholded deltas defer sub-threshold change exactly like the JS engine, and the dense fallback agrees', async (t) => {
    const random = prng(11);
    for (const groups of [1, 2, 24]) {
      const g = geometry(10, 12, 24, 24, 3, 1, groups);
      const { prepared } = layer(g, random);
      const wasm = wasmBackend.createConvEngine(g, prepared);
      const js = jsBackend.createConvEngine(g, prepared);
      let input = randomArray(random, 10 * 12 * 24);
      wasm.keyframe(input);
      js.keyframe(input);
      for (let frame = 0; frame < 20; frame++) {
        input = perturbPixels(input, 24, frame % 5 === 4 ? 0.9 : 0.3, random, 0.2);
        const w = wasm.update(input, 0.05, null, 0, 0.5);
        const j = js.update(input, 0.05, null, 0, 0.5);
        t.same([w.activePixels, w.macs, w.dense], [j.activePixels, j.macs, j.dense], `groups ${groups}, frame ${frame}: counts`);
        t.ok(maxAbsDiff(wasm.projection, js.projection) < 1e-4, `groups ${groups}, frame ${frame}: projection`);
      }
      wasm.dispose();
    }
  });

  t.test('candidates with the dense fallback: pixels outside the candidates still come from the full input', async (t) => {
    const random = prng(23);
    const g = geometry(40, 40, 8, 8, 3, 1, 1);
    const { weight, bias, prepared } = layer(g, random);
    const engine = wasmBackend.createConvEngine(g, prepared);
    let input = randomArray(random, 40 * 40 * 8);
    engine.keyframe(input);
    for (let frame = 0; frame < 6; frame++) {
      // A sub-threshold drift everywhere (pending in Ĩ), then 2.4% of the pixels change for real.
      const next = input.map((v) => v + 0.001);
      const changed = Int32Array.from({ length: 38 }, (_, k) => (k * 41 + frame) % 1600).sort();
      for (const p of changed) for (let c = 0; c < 8; c++) next[p * 8 + c]! += 1;
      // Candidates cover the big changes only (the drift is below τ = 0.01), so only they are copied in.
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

  t.test('few candidates (partial input copy, runs and isolated pixels) give the reference result', async (t) => {
    const random = prng(29);
    const g = geometry(50, 50, 12, 16, 3, 1, 1);
    const { weight, bias, prepared } = layer(g, random);
    const engine = wasmBackend.createConvEngine(g, prepared);
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

  t.test('a NaN or Infinity on an active pixel throws the JS engine’s RangeError', async (t) => {
    const random = prng(3);
    // Channel counts with and without a scalar tail after the SIMD lanes; the bad value in the last
    // channel of a row's last pixel (the scalar tail of a row copy); a sparse update (denseFraction 1)
    // and one that falls back to dense (denseFraction 0).
    for (const channels of [4, 3, 6]) {
      const g = geometry(5, 6, channels, 8, 3, 1, 1);
      const { prepared } = layer(g, random);
      for (const denseFraction of [1, 0]) {
        for (const bad of [NaN, Infinity, -Infinity]) {
          const wasm = wasmBackend.createConvEngine(g, prepared);
          const js = jsBackend.createConvEngine(g, prepared);
          const input = randomArray(random, 5 * 6 * channels);
          wasm.keyframe(input);
          js.keyframe(input);
          const next = input.slice();
          next[(2 * 6 + 5) * channels + channels - 1] = bad;
          const message = (engine: ConvEngine) => {
            try {
              engine.update(next, 0, null, 0, denseFraction);
              return 'no error';
            } catch (error) {
              return `${(error as Error).constructor.name}: ${(error as Error).message}`;
            }
          };
          const expected = message(js);
          t.match(expected, new RegExp(`^RangeError: input pixel \\(y=2, x=5\\) channel ${channels - 1} is ${bad}`));
          t.equal(message(wasm), expected, `${channels} channels, denseFraction ${denseFraction}, ${bad}`);
          wasm.dispose();
        }
      }
    }
  });

  t.test('10,000 engine create/dispose cycles leave wasm memory and live bytes unchanged', async (t) => {
    const random = prng(5);
    const shapes = [geometry(12, 9, 16, 8, 3, 2, 1), geometry(20, 20, 8, 8, 5, 1, 8), geometry(7, 7, 32, 16, 1, 1, 1)];
    const layers = shapes.map((g) => layer(g, random));
    const engines = shapes.map((g, i) => wasmBackend.createConvEngine(g, layers[i]!.prepared));
    const runtime = loadWasmRuntime();
    if (!('runtime' in runtime)) throw new Error(runtime.error);
    const { memory, allocator } = runtime.runtime;
    const bytesBefore = memory.buffer.byteLength;
    const liveBefore = allocator.liveBytes;
    for (let cycle = 0; cycle < 10000; cycle++) {
      const k = cycle % shapes.length;
      // New weights objects every 7th cycle exercise the shared-weights store as well.
      const prepared = cycle % 7 === 0 ? { ...layers[k]!.prepared } : layers[k]!.prepared;
      const engine = wasmBackend.createConvEngine(shapes[k]!, prepared);
      if (cycle % 100 === 0) engine.keyframe(randomArray(random, shapes[k]!.inHeight * shapes[k]!.inWidth * shapes[k]!.inChannels));
      engine.dispose();
    }
    t.equal(memory.buffer.byteLength, bytesBefore, 'memory size unchanged');
    t.equal(allocator.liveBytes, liveBefore, 'live bytes unchanged');
    for (const engine of engines) engine.dispose();
  });

  t.test('a layer reads the previous engine’s output and touched list in place and equals the JS chain and the reference', async (t) => {
    const random = prng(23);
    const g1 = geometry(20, 24, 8, 16, 3, 1, 1);
    const g2 = geometry(20, 24, 16, 16, 3, 1, 16);
    const l1 = layer(g1, random);
    const l2 = layer(g2, random);
    const relu = { kind: 'relu' as const, leakyReluAlpha: 0.01 };
    const chain = (backend: typeof jsBackend) => [backend.createConvEngine(g1, l1.prepared, relu), backend.createConvEngine(g2, l2.prepared)] as const;
    const [a, b] = chain(wasmBackend);
    const [ja, jb] = chain(jsBackend);
    const memory = loadWasmRuntime('auto', false);
    t.ok('runtime' in memory && a.output.buffer === memory.runtime.memory.buffer, 'the output is a view on wasm memory (the in-place path is taken)');
    let input = randomArray(random, 20 * 24 * 8);
    a.keyframe(input);
    b.keyframe(a.output);
    ja.keyframe(input);
    jb.keyframe(ja.output);
    for (let frame = 0; frame < 6; frame++) {
      input = perturbPixels(input, 8, 0.15, random);
      for (const [first, second] of [[a, b], [ja, jb]] as const) {
        const result = first.update(input, 0, null, 0, 1);
        second.update(first.output, 0, result.touched.subarray(0, result.touchedCount), result.touchedCount, 1);
      }
      const hidden = Float32Array.from(convReference(g1, l1.weight, l1.bias, input), (x) => Math.max(x, 0));
      const expected = convReference(g2, l2.weight, l2.bias, hidden);
      t.ok(maxAbsDiff(b.output, expected) <= tolerance(expected), `frame ${frame}: wasm chain = reference`);
      t.ok(maxAbsDiff(b.output, jb.output) <= tolerance(expected), `frame ${frame}: wasm chain = JS chain`);
    }
    a.dispose();
    b.dispose();
  });

  t.test('projection views stay correct after another engine grows the memory', async (t) => {
    const random = prng(9);
    const g = geometry(8, 8, 8, 8, 3, 1, 1);
    const { weight, bias, prepared } = layer(g, random);
    const engine = wasmBackend.createConvEngine(g, prepared);
    const input = randomArray(random, 8 * 8 * 8);
    engine.keyframe(input);
    const big = geometry(300, 300, 64, 64, 1, 1, 1);
    const other = wasmBackend.createConvEngine(big, layer(big, random).prepared);
    const next = perturbPixels(input, 8, 0.3, random);
    engine.update(next, 0, null, 0, 1);
    t.ok(maxAbsDiff(engine.projection, convReference(g, weight, bias, next)) < 1e-4);
    other.dispose();
    engine.dispose();
    t.throws(() => engine.keyframe(input), /after dispose/);
  });
}

/** A two-thread wasm backend whose helper thread has started (before that, every job stays on the caller). */
async function twoThreads() {
  const backend = createWasmBackend({ threads: 2 });
  const loaded = loadWasmRuntime('auto', true);
  if (!('runtime' in loaded)) throw new Error(loaded.error);
  const helper = helperThread(loaded.runtime);
  await helper.whenReady();
  return { backend, helper };
}

function geometry(h: number, w: number, inC: number, outC: number, k: number, s: number, groups: number): ConvGeometry {
  const pad = (k - 1) >> 1;
  return {
    inHeight: h, inWidth: w, inChannels: inC, outHeight: Math.floor((h + 2 * pad - k) / s) + 1, outWidth: Math.floor((w + 2 * pad - k) / s) + 1,
    outChannels: outC, kernelHeight: k, kernelWidth: k, strideH: s, strideW: s, dilationH: 1, dilationW: 1,
    padTop: pad, padLeft: pad, padBottom: pad, padRight: pad, groups,
  };
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
