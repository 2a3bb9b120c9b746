// threads: 2, the two-stage frame pipeline: the same outputs and stats as one thread, bit for bit,
// wherever the graph is cut and on every backend; in order; per subscription and groupBy group;
// across input sizes; results of a live source as soon as they are ready; errors of either stage
// through the error channel; a worker reused by the next subscription without stale results.
import { concatMap, delay, firstValueFrom, from, groupBy, mergeMap, of, take, tap, toArray, type OperatorFunction } from 'rxjs';
import t from 'tap';
import type { KernelBackend } from '../../src/kernels/backend.js';
import { RrmInputError } from '../../src/layers/validate.js';
import { loadOnnx, type ModelOutput, type OnnxModel } from '../../src/model/index.js';
import type { FeatureMap, Frame } from '../../src/types.js';
import { pipelinedGraphOperator } from '../../src/model/frame-pipeline.js';
import { planFromBytes } from '../../src/model/model.js';
import { backendsUnderTest } from '../helpers/backends.js';
import { buildModel, weights } from '../helpers/onnx-builder.js';
import { changingMaps } from '../helpers/onnx-compare.js';
import { prng } from '../helpers/random.js';

const random = prng(29);
/** A skip connection (Add of two branches), an output made early ('feature'), a head after a Flatten. */
const modelBytes = buildModel({
  input: { name: 'x', dims: [1, 3, 'height', 'width'] },
  outputs: ['y', 'feature'],
  nodes: [
    { op: 'Conv', name: 'conv1', inputs: ['x', 'w1', 'b1'], outputs: ['a'], attributes: { pads: [1, 1, 1, 1] } },
    { op: 'Relu', inputs: ['a'], outputs: ['feature'] },
    { op: 'Conv', name: 'conv2', inputs: ['feature', 'w2'], outputs: ['b'], attributes: { pads: [1, 1, 1, 1] } },
    { op: 'Relu', inputs: ['b'], outputs: ['br'] },
    { op: 'Conv', name: 'conv3', inputs: ['br', 'w3'], outputs: ['c'], attributes: { pads: [1, 1, 1, 1] } },
    { op: 'Add', inputs: ['c', 'feature'], outputs: ['s'] },
    { op: 'Conv', name: 'conv4', inputs: ['s', 'w4'], outputs: ['d'], attributes: { strides: [2, 2] } },
    { op: 'Relu', inputs: ['d'], outputs: ['r'] },
    { op: 'GlobalAveragePool', inputs: ['r'], outputs: ['g'] },
    { op: 'Flatten', inputs: ['g'], outputs: ['f'] },
    { op: 'Gemm', name: 'fc', inputs: ['f', 'wf'], outputs: ['y'], attributes: { transB: 1 } },
  ],
  initializers: {
    w1: weights(random, [4, 3, 3, 3]), b1: weights(random, [4]), w2: weights(random, [4, 4, 3, 3]), w3: weights(random, [4, 4, 3, 3]),
    w4: weights(random, [5, 4, 3, 3]), wf: weights(random, [3, 5]),
  },
});

const collect = (maps: readonly FeatureMap[], operator: OperatorFunction<FeatureMap, ModelOutput>) => firstValueFrom(from(maps).pipe(operator, toArray()));

/** Outputs and stats without the wall times, which differ run to run. */
const comparable = (outputs: readonly ModelOutput[]) =>
  outputs.map((o) => ({
    index: o.index, keyframe: o.keyframe,
    outputs: Object.fromEntries(Object.entries(o.outputs).map(([name, v]) => [name, { dims: v.dims, data: Array.from(v.data) }])),
    stats: o.stats.map(({ timeMs: _timeMs, ...rest }) => rest),
  }));

async function splitPoints(model: OnnxModel, maps: readonly FeatureMap[]): Promise<string[]> {
  // The node names of the graph as run: the layers' stats name them, the rest by running the graph once.
  const outputs = await collect(maps.slice(0, 1), model.operator());
  return outputs[0]!.stats.map((s) => s.layer).slice(1); // every layer but the first can start the worker's stage
}

t.test('the pipeline equals one thread bit for bit, wherever it is cut, on every backend', async (t) => {
  const model = await loadOnnx(modelBytes);
  const maps = changingMaps(random, 12, 10, 3, 9);
  const { available } = backendsUnderTest();
  const splits = await splitPoints(model, maps);
  t.ok(splits.length >= 3, `cut before ${splits.join(', ')}`);
  const settings = [{}, { threshold: 0.05 }, { threshold: 0.05, thresholdMode: 'relative' as const }, { threshold: 0.02, keyframeEvery: 4 }];
  for (const { label, backend } of available.filter((b) => !b.label.includes('2 threads'))) {
    for (const options of settings) {
      const one = comparable(await collect(maps, model.operator({ ...options, backend })));
      for (const splitAt of [undefined, ...splits]) {
        const two = comparable(await collect(maps, model.operator({ ...options, backend, threads: 2, ...(splitAt ? { splitAt } : {}) })));
        t.same(two, one, `${label}, ${JSON.stringify(options)}, worker from ${splitAt ?? 'the default cut'}`);
      }
    }
  }
});

t.test("model.pipeline on frames: the change hints cross to the worker and it stays exact", async (t) => {
  const model = await loadOnnx(modelBytes);
  let data = Uint8Array.from({ length: 16 * 12 * 3 }, () => Math.floor(random() * 256));
  const frames: Frame[] = Array.from({ length: 12 }, (_, index) => {
    if (index > 0) {
      data = data.slice();
      data[Math.floor(random() * data.length)] = Math.floor(random() * 256);
    }
    return { data, width: 12, height: 16, channels: 3, index, timestamp: index * 40 };
  });
  const run = (threads: 1 | 2) => firstValueFrom(from(frames).pipe(model.pipeline({ threads, splitAt: 'conv3' }), toArray()));
  const one = await run(1);
  const two = await run(2);
  t.same(comparable(two), comparable(one));
  t.ok(two.slice(1).some((o) => o.stats.find((s) => s.layer === 'conv3')!.macs < o.stats.find((s) => s.layer === 'conv3')!.denseMacs), 'the worker\'s layers take the delta path');
});

t.test('each subscription and groupBy group has its own worker and state; sizes may change', async (t) => {
  const model = await loadOnnx(modelBytes);
  const a = changingMaps(random, 8, 8, 3, 6).map((m) => ({ ...m, streamId: 'a' }));
  const b = changingMaps(random, 10, 6, 3, 6).map((m) => ({ ...m, streamId: 'b' }));
  const interleaved = a.flatMap((m, k) => [m, b[k]!]);
  const grouped = await firstValueFrom(from(interleaved).pipe(groupBy((m) => m.streamId), mergeMap((g) => g.pipe(model.operator({ threads: 2 }))), toArray()));
  for (const [id, maps] of [['a', a], ['b', b]] as const) {
    t.same(comparable(grouped.filter((o) => o.streamId === id)), comparable(await collect(maps, model.operator())), `stream ${id} as if alone on one thread`);
  }
  const mixed = [...a.slice(0, 3), ...b.slice(0, 3), ...a.slice(3)];
  t.same(comparable(await collect(mixed, model.operator({ threads: 2 }))), comparable(await collect(mixed, model.operator())), 'a new input size is a keyframe on both sides');
});

t.test('a subscription ended early leaves nothing behind for the next one on the same worker', async (t) => {
  const model = await loadOnnx(modelBytes);
  const maps = changingMaps(random, 12, 10, 3, 30);
  const operator = model.operator({ threads: 2, threshold: 0.01 });
  const firstFew = await firstValueFrom(from(maps).pipe(operator, take(3), toArray()));
  t.same(firstFew.map((o) => o.index), [0, 1, 2]);
  const again = await collect(maps.slice(0, 8), operator);
  t.same(comparable(again), comparable(await collect(maps.slice(0, 8), model.operator({ threshold: 0.01 }))), 'the next subscription starts fresh and sees only its own results');
});

t.test('a live source gets each result before its next frame arrives', async (t) => {
  const model = await loadOnnx(modelBytes);
  const maps = changingMaps(random, 12, 10, 3, 8);
  const operator = model.operator({ threads: 2 });
  await collect(maps, operator); // the worker started and warm (it stays in the model's pool)
  let latestInput = -1;
  const lags: number[] = [];
  const outputs = await firstValueFrom(
    from(maps).pipe(
      concatMap((m) => of(m).pipe(delay(40))),
      tap((m) => (latestInput = m.index)),
      operator,
      tap((o) => lags.push(latestInput - o.index)),
      toArray(),
    ),
  );
  t.same(outputs.map((o) => o.index), maps.map((m) => m.index), 'every frame, in order');
  // A result waits for the next frame only if the worker took longer than 40 ms over a tiny model.
  t.ok(lags.filter((lag) => lag === 0).length >= maps.length - 2, `emitted before the next frame: lags ${lags.join(', ')}`);
});

t.test("errors: the worker's stage, the caller's stage, a cut that does not exist, a backend without a recipe", async (t) => {
  // conv2's input overflows to infinity after Exp when the input is large: conv2 runs on the worker.
  const overflowing = buildModel({
    input: { name: 'x', dims: [1, 3, 6, 6] },
    outputs: ['y'],
    nodes: [
      { op: 'Conv', name: 'conv1', inputs: ['x', 'w1'], outputs: ['a'], attributes: { pads: [1, 1, 1, 1] } },
      { op: 'Exp', inputs: ['a'], outputs: ['e'] },
      { op: 'Conv', name: 'conv2', inputs: ['e', 'w2'], outputs: ['y'] },
    ],
    initializers: { w1: { dims: [4, 3, 3, 3], data: new Float32Array(108).fill(1) }, w2: weights(random, [2, 4, 1, 1]) },
  });
  const model = await loadOnnx(overflowing);
  const maps = changingMaps(random, 6, 6, 3, 4);
  const huge = { ...maps[2]!, data: maps[2]!.data.map((v) => v * 1000) };
  const error = await collect([maps[0]!, maps[1]!, huge, maps[3]!], model.operator({ threads: 2, splitAt: 'conv2' })).catch((e: unknown) => e);
  t.type(error, RrmInputError, 'the worker\'s input error keeps its class');
  t.match(String((error as Error).message), /conv2/, `names the layer: ${(error as Error).message}`);
  t.same(comparable(await collect(maps, model.operator({ threads: 2, splitAt: 'conv2' }))), comparable(await collect(maps, model.operator())), 'the next subscription runs normally');

  const nan = { ...maps[1]!, data: maps[1]!.data.map((v, k) => (k === 5 ? Number.NaN : v)) };
  const callerError = await collect([maps[0]!, nan], model.operator({ threads: 2, splitAt: 'conv2' })).catch((e: unknown) => e);
  t.type(callerError, RrmInputError, `the caller's stage: ${(callerError as Error).message}`);

  const badCut = await collect(maps, model.operator({ threads: 2, splitAt: 'conv9' })).catch((e: unknown) => e);
  t.match(String((badCut as Error).message), /splitAt: 'conv9' is no node of the graph; the worker can start at/, (badCut as Error).message);

  // The worker rebuilds the model from the recipe; when it cannot, the caller hears why (and does not wait forever).
  const plan = planFromBytes(overflowing);
  const unreadable = await collect(maps, pipelinedGraphOperator(plan, () => ({ bytes: new Uint8Array([8, 1, 2]), load: {} }), { splitAt: 'conv2' })).catch((e: unknown) => e);
  t.match(String((unreadable as Error).message), /the pipeline's stage worker could not read the model: /, (unreadable as Error).message);

  const custom: KernelBackend = { name: 'custom', denseCrossover: () => 0.5, createConvEngine: () => { throw new Error('unused'); } };
  t.throws(() => model.operator({ threads: 2, backend: custom }), /backend 'custom' has no recipe/);
});
