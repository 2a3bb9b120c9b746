// Detection post-processing in the graph: TopK, NonZero, GatherND and NonMaxSuppression computed
// densely after the last map (against onnxruntime), what loading says about it, and cutting a graph
// before it with `loadOnnx(…, { outputs })`.
import { readFileSync } from 'node:fs';
import { firstValueFrom, from, toArray } from 'rxjs';
import t from 'tap';
import { loadOnnx, ModelImportError } from '../../src/model/index.js';
import { readGraph } from '../../src/model/graph.js';
import { decodeModel } from '../../src/model/onnx-proto.js';
import { buildModel, type GraphSpec, type InitializerSpec } from '../helpers/onnx-builder.js';
import { changingMaps, smoothChangingMaps } from '../helpers/onnx-compare.js';
import { checkGraph, convNode, convWeights } from '../helpers/onnx-graph-check.js';
import { hwcToNchwInput, referenceSession, relativeToMagnitude } from '../helpers/onnx-runtime.js';
import { prng } from '../helpers/random.js';
import { torchExportPath, torchModelsMissing } from '../helpers/torch-models.js';

const random = prng(16);
const ints = (values: number[]): InitializerSpec => ({ dims: [values.length], data: values, type: 'int64' });
const scalar = (value: number): InitializerSpec => ({ dims: [1], data: [value] });

/** A toy detector: per pixel of a 6x7 map, a score (channel 0) and a box (channels 1-4, sorted into corners). */
function detector(): GraphSpec {
  return {
    opset: 13,
    input: { name: 'x', dims: [1, 3, 6, 7] },
    outputs: ['topValues', 'topIndices', 'keep', 'picked', 'selected'],
    outputTypes: { topIndices: 'int64', keep: 'int64', selected: 'int64' },
    nodes: [
      convNode('head', 'x', 'h', { pads: [1, 1, 1, 1] }),
      { op: 'Reshape', inputs: ['h', 'rows'], outputs: ['flat'] }, // [5, 42]
      { op: 'Slice', inputs: ['flat', 'zero', 'one', 'zero'], outputs: ['logits'] }, // [1, 42]
      { op: 'Sigmoid', inputs: ['logits'], outputs: ['scores'] },
      { op: 'TopK', inputs: ['scores', 'k'], outputs: ['topValues', 'topIndices'], attributes: { axis: 1 } },
      { op: 'Greater', inputs: ['scores', 'half'], outputs: ['confident'] },
      { op: 'NonZero', inputs: ['confident'], outputs: ['keep'] },
      { op: 'Transpose', inputs: ['keep'], outputs: ['keepRows'], attributes: { perm: [1, 0] } },
      { op: 'GatherND', inputs: ['scores', 'keepRows'], outputs: ['picked'] },
      { op: 'Slice', inputs: ['flat', 'one', 'five', 'zero'], outputs: ['raw'] }, // [4, 42]
      { op: 'Transpose', inputs: ['raw'], outputs: ['rawBoxes'], attributes: { perm: [1, 0] } },
      { op: 'Unsqueeze', inputs: ['rawBoxes', 'zero'], outputs: ['boxes'] }, // [1, 42, 4]
      { op: 'Unsqueeze', inputs: ['scores', 'zero'], outputs: ['classScores'] }, // [1, 1, 42]
      { op: 'NonMaxSuppression', inputs: ['boxes', 'classScores', 'maxBoxes', 'iou', 'minScore'], outputs: ['selected'], attributes: { center_point_box: 1 } },
    ],
    initializers: {
      ...convWeights(random, 'head', 5, 3, 3), rows: ints([5, -1]), zero: ints([0]), one: ints([1]), five: ints([5]), k: ints([6]),
      half: scalar(0.5), maxBoxes: ints([4]), iou: scalar(0.3), minScore: scalar(0.2),
    },
  };
}

t.test('TopK, NonZero, GatherND and NonMaxSuppression run densely after the last map and equal onnxruntime', async (t) => {
  const spec = detector();
  const outputs = await checkGraph(t, random, 'toy detector', spec, { maps: changingMaps(random, 6, 7, 3, 6, 0.1) });
  t.ok(outputs.every((o) => o.outputs.keep!.dims[1]! > 0 && o.outputs.selected!.dims[0]! > 0), `NonZero and NonMaxSuppression select something (${outputs.map((o) => `${o.outputs.keep!.dims[1]}/${o.outputs.selected!.dims[0]}`).join(', ')})`);
  const model = await loadOnnx(buildModel(spec));
  t.equal(model.postProcessing?.mode, 'dense');
  t.match(model.postProcessing?.message, /post-processing \(TopK x1, NonZero x1, .*NonMaxSuppression x1.*\) is computed densely after the last map, every frame/);
});

t.test('an unsupported post-processing operator: loading lists it and says where to cut; outputs cuts there', async (t) => {
  // Einsum stands for any operator rx-rrm lacks (If, Loop, ...): onnxruntime runs it.
  const spec: GraphSpec = {
    opset: 13,
    input: { name: 'x', dims: [1, 3, 6, 7] },
    outputs: ['features', 'final'],
    nodes: [
      convNode('c0', 'x', 'a', { pads: [1, 1, 1, 1] }),
      { op: 'Relu', inputs: ['a'], outputs: ['features'] },
      { op: 'TopK', inputs: ['features', 'k'], outputs: ['best', 'where'], attributes: { axis: 3 } },
      { op: 'Einsum', name: 'mix', inputs: ['best'], outputs: ['final'], attributes: { equation: 'nchw->nhwc' } },
    ],
    initializers: { ...convWeights(random, 'c0', 4, 3, 3), k: ints([2]) },
  };
  const bytes = buildModel(spec);
  const error = await loadOnnx(bytes).then(() => undefined, (e: Error) => e);
  t.type(error, ModelImportError);
  t.match(error?.message, /unsupported operator Einsum x1 \(first: node 'mix'\)/);
  t.match(error?.message, /part of the model's post-processing \(TopK x1, Einsum x1\), which starts after 'features': load the model with \{ outputs: \[\.\.\.\] \}/);

  const model = await loadOnnx(bytes, { outputs: ['features'] });
  t.equal(model.postProcessing?.mode, 'cut');
  t.match(model.postProcessing?.message, /the graph is cut at 'features': its post-processing \(TopK x1, Einsum x1\) is not computed/);
  t.same(model.outputs, [{ name: 'features', dims: [1, 4, 6, 7] }], 'the cut output, with its shape');
  const maps = changingMaps(random, 6, 7, 3, 4);
  const ours = await firstValueFrom(from(maps).pipe(model.operator(), toArray()));
  const session = await referenceSession(bytes);
  for (const [k, m] of maps.entries()) {
    const expected = (await session.run(hwcToNchwInput(m.data, m.height, m.width, m.channels))).features!;
    t.ok(relativeToMagnitude(ours[k]!.outputs.features!.data, expected.data) <= 1e-4, `frame ${k}: the cut output equals onnxruntime's`);
  }
  await session.release();
  await t.rejects(loadOnnx(bytes, { outputs: ['nowhere'] }), /outputs: the model computes no value named 'nowhere'/);
});

t.test('cutting a PyTorch YOLO export before its decoding gives its raw head (the raw export, same weights)', { skip: torchModelsMissing }, async (t) => {
  const bytes = readFileSync(torchExportPath('yolo_anchor_free-op17.onnx'));
  const graph = readGraph(decodeModel(bytes));
  const split = graph.nodes.find((n) => n.opType === 'Split')!; // boxes | classes of the joined head
  const model = await loadOnnx(bytes, { outputs: [split.inputs[0]!] });
  t.equal(model.postProcessing, undefined, 'a decoding of supported operators is not post-processing');
  const maps = smoothChangingMaps(random, 128, 96, 3, 6);
  const ours = await firstValueFrom(from(maps).pipe(model.operator(), toArray()));
  const session = await referenceSession(readFileSync(torchExportPath('yolo_anchor_free_raw-op17.onnx')));
  for (const [k, m] of maps.entries()) {
    const expected = (await session.run(hwcToNchwInput(m.data, m.height, m.width, m.channels))).raw!;
    const actual = ours[k]!.outputs[split.inputs[0]!]!;
    t.ok(actual.dims.join() === expected.dims.join() && relativeToMagnitude(actual.data, expected.data) <= 1e-4, `frame ${k}: equals the raw export's output [${expected.dims}]`);
  }
  await session.release();
});
