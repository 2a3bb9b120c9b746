// A fused graph on the wasm backend, where each layer reads the previous layer's output and touched
// list in place in wasm memory: the same outputs and multiply-adds as on the plain-JS backend, and
// streams whose engines are created while another stream is mid-way (growing the shared memory under
// its views) still equal their solo runs.
import { firstValueFrom, from, groupBy, mergeMap, toArray } from 'rxjs';
import t from 'tap';
import { jsBackend } from '../../src/kernels/js/js-backend.js';
import { loadWasmRuntime } from '../../src/kernels/wasm/kernel-module.js';
import { wasmBackend, wasmKernelStatus } from '../../src/kernels/wasm/wasm-backend.js';
import { loadOnnx, type ModelOperatorOptions, type ModelOutput } from '../../src/model/index.js';
import type { FeatureMap } from '../../src/types.js';
import { buildModel, weights } from '../helpers/onnx-builder.js';
import { changingMaps } from '../helpers/onnx-compare.js';
import { maxAbsDiff } from '../helpers/maps.js';
import { prng } from '../helpers/random.js';

const status = wasmKernelStatus();
if (!status.available) {
  t.skip(`wasm kernels not available: ${status.reason}`, async () => {});
} else {
  const random = prng(31);
  const H = 36;
  const W = 44;
  // Stem, depthwise, pointwise (as in MobileNet-style detectors), a mid-graph output that is also
  // the next layer's input, and a head whose output leaves the graph.
  const modelBytes = buildModel({
    input: { name: 'x', dims: [1, 3, H, W] },
    outputs: ['y', 'mid'],
    nodes: [
      { op: 'Conv', name: 'stem', inputs: ['x', 'w1', 'b1'], outputs: ['a'], attributes: { pads: [1, 1, 1, 1], strides: [2, 2] } },
      { op: 'Relu', inputs: ['a'], outputs: ['ar'] },
      { op: 'Conv', name: 'dw', inputs: ['ar', 'w2', 'b2'], outputs: ['c'], attributes: { pads: [1, 1, 1, 1], group: 16 } },
      { op: 'Relu', inputs: ['c'], outputs: ['mid'] },
      { op: 'Conv', name: 'pw', inputs: ['mid', 'w3', 'b3'], outputs: ['d'] },
      { op: 'Relu', inputs: ['d'], outputs: ['dr'] },
      { op: 'Conv', name: 'head', inputs: ['dr', 'w4'], outputs: ['y'], attributes: { pads: [1, 1, 1, 1] } },
    ],
    initializers: {
      w1: weights(random, [16, 3, 3, 3]), b1: weights(random, [16]),
      w2: weights(random, [16, 1, 3, 3]), b2: weights(random, [16]),
      w3: weights(random, [24, 16, 1, 1]), b3: weights(random, [24]),
      w4: weights(random, [6, 24, 3, 3]),
    },
  });
  const maps = changingMaps(random, H, W, 3, 12, 0.08);
  const run = async (input: FeatureMap[], options: ModelOperatorOptions) => firstValueFrom(from(input).pipe((await loadOnnx(modelBytes)).operator(options), toArray()));
  const worst = (a: ModelOutput[], b: ModelOutput[], name: string) => Math.max(...a.map((o, k) => maxAbsDiff(o.outputs[name]!.data, b[k]!.outputs[name]!.data)));
  // The stem is narrow (3 input channels): the wasm engine recomputes its touched outputs instead of
  // scattering, so its multiply-adds differ by design; every layer's active pixels must not.
  const active = (outputs: ModelOutput[]) => outputs.map((o) => o.stats.map((s) => `${s.layer}:${s.activeFraction}`).join());
  const macs = (outputs: ModelOutput[]) => outputs.map((o) => o.stats.filter((s) => s.layer !== 'stem').reduce((n, s) => n + s.macs, 0));

  // τ = 0 only: at τ > 0 float rounding may put a pixel on either side of τ, and the engines'
  // thresholded decisions are compared one layer at a time in test/kernels/wasm-conv.test.ts.
  for (const denseFraction of [undefined, 1]) {
    t.test(`τ = 0, ${denseFraction ? 'never dense' : 'each backend’s crossover'}: wasm graph = JS graph`, async (t) => {
      const options = denseFraction ? { denseFraction } : {};
      const wasm = await run(maps, { backend: wasmBackend, ...options });
      const js = await run(maps, { backend: jsBackend, ...options });
      for (const name of ['y', 'mid']) t.ok(worst(wasm, js, name) < 1e-4, `${name}: largest difference ${worst(wasm, js, name).toExponential(2)}`);
      if (denseFraction) {
        t.same(active(wasm), active(js), 'same active pixels per layer and frame');
        t.same(macs(wasm), macs(js), 'same multiply-adds per frame in the scattering layers');
      }
      t.ok(wasm.slice(1).some((o) => o.stats.some((s) => !s.dense && s.macs > 0)), 'the sparse path ran');
      // Emitted outputs are copies: a later frame must not change an earlier one.
      t.not(wasm[1]!.outputs.mid!.data, wasm[2]!.outputs.mid!.data);
    });
  }

  t.test('a stream that starts mid-way grows wasm memory under the other stream’s views; both equal their solo runs', async (t) => {
    const loaded = loadWasmRuntime('auto', false);
    if (!('runtime' in loaded)) throw new Error(loaded.error);
    const { memory } = loaded.runtime;
    // Fill the heap so that the next stream's engines cannot fit without growing it.
    const filler = loaded.runtime.allocator.allocate(memory.buffer.byteLength);
    const a = changingMaps(random, H, W, 3, 8, 0.1).map((m) => ({ ...m, streamId: 'a' }));
    const b = changingMaps(random, H, W, 3, 6, 0.1).map((m) => ({ ...m, streamId: 'b' }));
    const soloA = await run(a, { backend: wasmBackend });
    const soloB = await run(b, { backend: wasmBackend });
    const interleaved = [a[0]!, a[1]!, a[2]!, ...b.flatMap((m, k) => [m, a[k + 3]!].filter((x) => x !== undefined))];
    const model = await loadOnnx(modelBytes);
    const buffers = new Set<ArrayBufferLike>();
    const grouped = await firstValueFrom(
      from(interleaved).pipe(
        groupBy((m) => m.streamId),
        mergeMap((group) => group.pipe(model.operator({ backend: wasmBackend }))),
        mergeMap(async (o) => (buffers.add(memory.buffer), o)),
        toArray(),
      ),
    );
    loaded.runtime.allocator.free(filler);
    t.ok(buffers.size > 1, `memory grew while stream a was running (${buffers.size} buffers seen)`);
    for (const [id, solo] of [['a', soloA], ['b', soloB]] as const) {
      const mine = grouped.filter((o) => o.streamId === id);
      t.equal(mine.length, solo.length, `stream ${id}: every frame`);
      t.ok(worst(mine, solo, 'y') === 0 && worst(mine, solo, 'mid') === 0, `stream ${id}: bit-identical to its solo run`);
    }
  });
}
