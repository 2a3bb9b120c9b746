// What only the WebAssembly backend has: the helper thread over shared memory, its allocator, views
// on memory that grows, and inputs read in place. The kernel contract itself: engine.test.ts.
import t from 'tap';
import { setFlagsFromString } from 'node:v8';
import type { ConvGeometry } from '../../src/kernels/geometry.js';
import { jsBackend } from '../../src/kernels/js/js-backend.js';
import { convReference } from '../helpers/reference/conv.js';
import { createWasmBackend, wasmBackend, wasmKernelStatus } from '../../src/kernels/wasm/wasm-backend.js';
import { denseConvMacs } from '../../src/kernels/geometry.js';
import { helperThread } from '../../src/kernels/wasm/helper-thread.js';
import { loadWasmRuntime } from '../../src/kernels/wasm/kernel-module.js';
import { maxAbsDiff, perturbPixels } from '../helpers/maps.js';
import { prng, randomArray } from '../helpers/random.js';
import { randomLayer as layer, squareConv as geometry } from '../helpers/geometry.js';

// Node 20 accepts relaxed SIMD behind this flag (Node 22+ by default): both builds of the kernels get tested.
setFlagsFromString('--experimental-wasm-relaxed-simd');
const status = wasmKernelStatus('simd');
if (!status.available) {
  t.skip(`wasm kernels not available: ${status.reason}`, async () => {});
} else {
  const tolerance = (expected: Float32Array) => 1e-5 * expected.reduce((m, v) => Math.max(m, Math.abs(v)), 1);


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

  t.test('10,000 engine create/dispose cycles leave wasm memory and live bytes unchanged', async (t) => {
    const random = prng(5);
    const shapes = [geometry(12, 9, 16, 8, 3, 2, 1), geometry(20, 20, 8, 8, 5, 1, 8), geometry(7, 7, 32, 16, 1, 1, 1)];
    const layers = shapes.map((g) => layer(g, random));
    const engines = shapes.map((g, i) => wasmBackend.createConvEngine(g, layers[i]!.prepared));
    const runtime = loadWasmRuntime();
    if (!('runtime' in runtime)) throw new Error(runtime.error);
    const { memory, allocator } = runtime.runtime;
    let bytesBefore = 0;
    let liveBefore = 0;
    for (let cycle = 0; cycle < 10000; cycle++) {
      // After a first round of every shape (with new weights too), which may grow the memory once.
      if (cycle === 21) [bytesBefore, liveBefore] = [memory.buffer.byteLength, allocator.liveBytes];
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
    let input = randomArray(random, 20 * 24 * 8);
    a.keyframe(input);
    b.keyframe(a.output);
    ja.keyframe(input);
    jb.keyframe(ja.output);
    // On their first frame outputs are copies (later layers' creation may grow the memory); then views.
    t.ok('runtime' in memory && a.output.buffer !== memory.runtime.memory.buffer, "the first frame's output is a copy");
    for (let frame = 0; frame < 6; frame++) {
      input = perturbPixels(input, 8, 0.15, random);
      for (const [first, second] of [[a, b], [ja, jb]] as const) {
        const result = first.update(input, 0, null, 0, 1);
        if (first === a) t.ok('runtime' in memory && a.output.buffer === memory.runtime.memory.buffer, `frame ${frame}: the output is a view on wasm memory (the in-place path is taken)`);
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
