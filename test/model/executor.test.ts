// The fused graph operator: state per subscription (groupBy streams), keyframes, per-layer
// thresholds, merged stats, and emitted outputs that never change afterwards.
import { firstValueFrom, from, groupBy, map, mergeMap, toArray } from 'rxjs';
import t from 'tap';
import { loadOnnx, type ModelOutput } from '../../src/model/index.js';
import type { FeatureMap } from '../../src/types.js';
import { buildModel, weights } from '../helpers/onnx-builder.js';
import { changingMaps } from '../helpers/onnx-compare.js';
import { prng } from '../helpers/random.js';

const random = prng(17);
const modelBytes = buildModel({
  input: { name: 'x', dims: [1, 3, 8, 8] },
  outputs: ['y', 'feature'],
  nodes: [
    { op: 'Conv', name: 'conv1', inputs: ['x', 'w1', 'b1'], outputs: ['a'], attributes: { pads: [1, 1, 1, 1] } },
    { op: 'Relu', inputs: ['a'], outputs: ['feature'] },
    { op: 'Conv', name: 'conv2', inputs: ['feature', 'w2'], outputs: ['c'], attributes: { strides: [2, 2] } },
    { op: 'Relu', inputs: ['c'], outputs: ['r'] },
    { op: 'Flatten', inputs: ['r'], outputs: ['f'] },
    { op: 'Gemm', name: 'fc', inputs: ['f', 'wf'], outputs: ['y'], attributes: { transB: 1 } },
  ],
  initializers: { w1: weights(random, [4, 3, 3, 3]), b1: weights(random, [4]), w2: weights(random, [5, 4, 3, 3]), wf: weights(random, [3, 5 * 3 * 3]) },
});
const run = (maps: FeatureMap[], options = {}) => loadOnnx(modelBytes).then((m) => firstValueFrom(from(maps).pipe(m.operator(options), toArray())));

t.test('every subscription and every groupBy group has its own state', async (t) => {
  const a = changingMaps(random, 8, 8, 3, 6).map((m) => ({ ...m, streamId: 'a' }));
  const b = changingMaps(random, 8, 8, 3, 6).map((m) => ({ ...m, streamId: 'b' }));
  const model = await loadOnnx(modelBytes);
  const interleaved = a.flatMap((m, k) => [m, b[k]!]);
  const grouped = await firstValueFrom(from(interleaved).pipe(groupBy((m) => m.streamId), mergeMap((g) => g.pipe(model.operator())), toArray()));
  const soloA = await run(a);
  const soloB = await run(b);
  const pick = (id: string) => grouped.filter((o) => o.streamId === id).map((o) => Array.from(o.outputs.y!.data));
  t.same(pick('a'), soloA.map((o) => Array.from(o.outputs.y!.data)), 'stream a as if alone');
  t.same(pick('b'), soloB.map((o) => Array.from(o.outputs.y!.data)), 'stream b as if alone');
});

t.test('keyframeEvery makes every layer recompute densely on those frames; stats list every layer once', async (t) => {
  const outputs = await run(changingMaps(random, 8, 8, 3, 7), { keyframeEvery: 3 });
  t.same(outputs.map((o) => o.keyframe), [true, false, false, true, false, false, true]);
  const convDense = (o: ModelOutput) => o.stats.filter((s) => s.kind === 'conv' || s.kind === 'fc').every((s) => s.dense);
  t.ok(convDense(outputs[3]!) && convDense(outputs[6]!), 'dense on keyframes');
  t.notOk(convDense(outputs[1]!), 'sparse in between');
  // Conv+Relu fused twice, Flatten is a relabelling, Gemm: three layers.
  t.same(outputs[1]!.stats.map((s) => `${s.layer}:${s.kind}`), ['conv1:conv', 'conv2:conv', 'fc:fc']);
  t.same(outputs[0]!.outputs.feature!.dims, [1, 4, 8, 8]);
});

t.test('a per-layer threshold applies to that layer only', async (t) => {
  const maps = changingMaps(random, 8, 8, 3, 5);
  const outputs = await run(maps, { thresholds: { conv1: 1e6 } });
  for (const o of outputs.slice(1)) {
    const byLayer = Object.fromEntries(o.stats.map((s) => [s.layer, s]));
    t.equal(byLayer.conv1!.macs, 0, `frame ${o.index}: conv1 defers every change`);
  }
  const exact = await run(maps);
  t.same(exact[0]!.outputs.y!.data, outputs[0]!.outputs.y!.data, 'first frame identical (dense)');
});

t.test('emitted outputs are never mutated by later frames', async (t) => {
  const model = await loadOnnx(modelBytes);
  const snapshots: number[][] = [];
  const outputs = await firstValueFrom(
    from(changingMaps(random, 8, 8, 3, 6)).pipe(model.operator(), map((o) => (snapshots.push(Array.from(o.outputs.feature!.data)), o)), toArray()),
  );
  outputs.forEach((o, k) => t.same(Array.from(o.outputs.feature!.data), snapshots[k], `frame ${k} unchanged`));
});
