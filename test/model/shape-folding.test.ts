// Shape arithmetic as exporters write it, folded to constants once the input size is known: what
// is left to run, and that the model still equals onnxruntime (at τ = 0, over slightly changing
// frames). A model with dynamic H and W folds again when the frame size changes (a keyframe).
import t from 'tap';
import { foldShapes } from '../../src/model/shape-folding.js';
import { readGraph } from '../../src/model/graph.js';
import { loadOnnx } from '../../src/model/index.js';
import { decodeModel } from '../../src/model/onnx-proto.js';
import { buildModel, weights, type GraphSpec, type InitializerSpec, type NodeSpec } from '../helpers/onnx-builder.js';
import { changingMaps } from '../helpers/onnx-compare.js';
import { checkGraph, convNode, convWeights } from '../helpers/onnx-graph-check.js';
import { prng } from '../helpers/random.js';

const random = prng(15);
const ints = (values: number[]): InitializerSpec => ({ dims: [values.length], data: values, type: 'int64' });
const INT64 = 7;
const FLOAT = 1;

const remaining = (spec: GraphSpec, dims: number[]) => foldShapes(readGraph(decodeModel(buildModel(spec))), dims).graph.nodes.map((n) => n.opType);

t.test("torch's chunk: Shape → Gather → Add → Div (integer: (6 + 1) / 2 = 3) → Mul → Slice", async (t) => {
  const spec: GraphSpec = {
    input: { name: 'x', dims: [1, 3, 7, 8] },
    outputs: ['y', 'half'],
    outputTypes: { half: 'int64' },
    nodes: [
      convNode('c0', 'x', 'a', { pads: [1, 1, 1, 1] }),
      { op: 'Shape', inputs: ['a'], outputs: ['shape'] },
      { op: 'Gather', inputs: ['shape', 'one'], outputs: ['channels'], attributes: { axis: 0 } },
      { op: 'Add', inputs: ['channels', 'one'], outputs: ['plus'] },
      { op: 'Div', inputs: ['plus', 'two'], outputs: ['half'] },
      { op: 'Mul', inputs: ['half', 'two'], outputs: ['end'] },
      { op: 'Slice', inputs: ['a', 'zero', 'half', 'one'], outputs: ['lo'] },
      { op: 'Slice', inputs: ['a', 'half', 'end', 'one'], outputs: ['hi'] },
      { op: 'Concat', inputs: ['hi', 'lo'], outputs: ['swapped'], attributes: { axis: 1 } },
      convNode('c1', 'swapped', 'y', { pads: [1, 1, 1, 1] }),
    ],
    initializers: { ...convWeights(random, 'c0', 6, 3, 3), ...convWeights(random, 'c1', 2, 6, 3), zero: ints([0]), one: ints([1]), two: ints([2]) },
  };
  t.same(remaining(spec, [1, 3, 7, 8]), ['Conv', 'Slice', 'Slice', 'Concat', 'Conv'], 'only maps are left');
  const outputs = await checkGraph(t, random, 'chunk', spec);
  t.same(Array.from(outputs[0]!.outputs.half!.data), [3], 'the folded half is an integer');
  t.ok(outputs[1]!.stats.some((s) => s.kind === 'slice'), 'the slices run on the map');
});

t.test("PaddlePaddle's flatten: Shape → Cast → Slice → Concat → Reshape, then Gemm as a fully-connected RRM layer", async (t) => {
  const spec: GraphSpec = {
    input: { name: 'x', dims: [1, 3, 6, 5] },
    outputs: ['y'],
    nodes: [
      convNode('c0', 'x', 'a', { pads: [1, 1, 1, 1] }),
      { op: 'Shape', inputs: ['a'], outputs: ['shape'] },
      { op: 'Cast', inputs: ['shape'], outputs: ['cast'], attributes: { to: INT64 } },
      { op: 'Slice', inputs: ['cast', 'zero', 'one'], outputs: ['batch'] },
      { op: 'Concat', inputs: ['batch', 'minus'], outputs: ['target'], attributes: { axis: 0 } },
      { op: 'Reshape', inputs: ['a', 'target'], outputs: ['flat'] },
      { op: 'Gemm', inputs: ['flat', 'w', 'b'], outputs: ['y'], attributes: { transB: 1 } },
    ],
    initializers: { ...convWeights(random, 'c0', 4, 3, 3), zero: ints([0]), one: ints([1]), minus: ints([-1]), w: weights(random, [7, 4 * 6 * 5]), b: weights(random, [7]) },
  };
  t.same(remaining(spec, [1, 3, 6, 5]), ['Conv', 'Reshape', 'Gemm']);
  const outputs = await checkGraph(t, random, 'paddle flatten', spec, { expectLayers: 2 });
  t.same(outputs[1]!.stats.map((s) => s.kind), ['conv', 'fc'], 'conv and fc, both RRM layers');
});

t.test('an anchor grid from Shape, Range, Unsqueeze, Expand, Cast, Equal, ConstantOfShape and Where, added to the map', async (t) => {
  const nodes: NodeSpec[] = [
    convNode('c0', 'x', 'a', { pads: [1, 1, 1, 1] }),
    { op: 'Shape', inputs: ['a'], outputs: ['shape'] },
    { op: 'Gather', inputs: ['shape', 'two'], outputs: ['h'], attributes: { axis: 0 } },
    { op: 'Gather', inputs: ['shape', 'three'], outputs: ['w'], attributes: { axis: 0 } },
    { op: 'Range', inputs: ['zero', 'h', 'one'], outputs: ['ys'] },
    { op: 'Range', inputs: ['zero', 'w', 'one'], outputs: ['xs'] },
    { op: 'Unsqueeze', inputs: ['ys', 'axis1'], outputs: ['column'] },
    { op: 'Unsqueeze', inputs: ['h', 'axis0'], outputs: ['h1'] },
    { op: 'Unsqueeze', inputs: ['w', 'axis0'], outputs: ['w1'] },
    { op: 'Concat', inputs: ['h1', 'w1'], outputs: ['hw'], attributes: { axis: 0 } },
    { op: 'Expand', inputs: ['column', 'hw'], outputs: ['gy'] },
    { op: 'Expand', inputs: ['xs', 'hw'], outputs: ['gx'] },
    { op: 'Add', inputs: ['gy', 'gx'], outputs: ['sum'] },
    { op: 'Cast', inputs: ['sum'], outputs: ['grid'], attributes: { to: FLOAT } },
    { op: 'Equal', inputs: ['sum', 'zeroScalar'], outputs: ['origin'] },
    { op: 'ConstantOfShape', inputs: ['hw'], outputs: ['half'], attributes: { value: { tensor: { dims: [1], data: [0.5] } } } },
    { op: 'Where', inputs: ['origin', 'half', 'grid'], outputs: ['offsets'] },
    { op: 'Add', inputs: ['a', 'offsets'], outputs: ['shifted'] },
    convNode('c1', 'shifted', 'y', { pads: [1, 1, 1, 1] }),
  ];
  const spec: GraphSpec = {
    input: { name: 'x', dims: [1, 3, 6, 7] },
    outputs: ['y'],
    nodes,
    initializers: {
      ...convWeights(random, 'c0', 4, 3, 3), ...convWeights(random, 'c1', 2, 4, 3),
      zero: { dims: [], data: [0], type: 'int64' }, one: { dims: [], data: [1], type: 'int64' }, two: { dims: [], data: [2], type: 'int64' },
      three: { dims: [], data: [3], type: 'int64' }, axis0: ints([0]), axis1: ints([1]), zeroScalar: { dims: [], data: [0], type: 'int64' },
    },
  };
  t.same(remaining(spec, [1, 3, 6, 7]), ['Conv', 'Add', 'Conv'], 'the grid is one constant');
  const outputs = await checkGraph(t, random, 'anchor grid', spec);
  t.ok(outputs.slice(1).every((o) => o.stats.some((s) => s.kind === 'add' && s.activeFraction < 1)), 'adding the folded grid is on the delta path');
});

t.test('dynamic H and W: the graph folds again when the frame size changes, and that frame is a keyframe', async (t) => {
  // Softmax over each channel's pixels: Reshape to [1, C, H·W] and back, both targets from Shape.
  const spec: GraphSpec = {
    input: { name: 'x', dims: [1, 3, 'height', 'width'] },
    outputs: ['y'],
    nodes: [
      convNode('c0', 'x', 'a', { pads: [1, 1, 1, 1] }),
      { op: 'Shape', inputs: ['a'], outputs: ['shape'] },
      { op: 'Slice', inputs: ['shape', 'zero', 'two'], outputs: ['nc'] },
      { op: 'Concat', inputs: ['nc', 'minus'], outputs: ['flatShape'], attributes: { axis: 0 } },
      { op: 'Reshape', inputs: ['a', 'flatShape'], outputs: ['flat'] },
      { op: 'Softmax', inputs: ['flat'], outputs: ['soft'], attributes: { axis: -1 } },
      { op: 'Reshape', inputs: ['soft', 'shape'], outputs: ['back'] },
      convNode('c1', 'back', 'y', { pads: [1, 1, 1, 1] }),
    ],
    initializers: { ...convWeights(random, 'c0', 4, 3, 3), ...convWeights(random, 'c1', 2, 4, 3), zero: ints([0]), two: ints([2]), minus: ints([-1]) },
  };
  const model = await loadOnnx(buildModel(spec));
  t.same(model.inputs[0]!.dims, [1, 3, undefined, undefined], 'the input stays dynamic');
  const sizes: [number, number][] = [[8, 9], [8, 9], [8, 9], [10, 7], [10, 7], [10, 7], [8, 9], [8, 9]];
  let maps = changingMaps(random, 8, 9, 3, 3);
  maps = [...maps, ...changingMaps(random, 10, 7, 3, 3), ...changingMaps(random, 8, 9, 3, 2)].map((m, index) => ({ ...m, index, timestamp: index * 40 }));
  t.same(maps.map((m) => [m.height, m.width]), sizes);
  const outputs = await checkGraph(t, random, 'two sizes in one stream', spec, { maps, everyFrameDelta: false });
  const denseConvs = outputs.map((o) => o.stats.filter((s) => s.kind === 'conv').every((s) => s.dense));
  t.same(denseConvs, [true, false, false, true, false, false, true, false], 'every size change recomputes densely; frames of the same size take the delta path');
});
