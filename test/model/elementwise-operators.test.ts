// Element-wise functions (Pow, Sqrt, Exp, Tanh, Softplus, Mish, Erf, Gelu, ...), broadcasting of
// constants and of two maps, ReduceMean / ReduceMax over H and W, the global pools and ConvTranspose,
// between convs, against onnxruntime at τ = 0 over slightly changing frames; and that they run as
// map layers on the delta path.
import t from 'tap';
import type { GraphSpec, InitializerSpec, NodeSpec } from '../helpers/onnx-builder.js';
import { weights } from '../helpers/onnx-builder.js';
import { checkGraph, convNode, convWeights } from '../helpers/onnx-graph-check.js';
import { prng } from '../helpers/random.js';

const random = prng(14);
const ints = (values: number[]): InitializerSpec => ({ dims: [values.length], data: values, type: 'int64' });

/** conv (4 channels) → the nodes (reading 'a', writing 'z') → conv. */
function around(nodes: NodeSpec[], extra: Record<string, InitializerSpec> = {}, opset = 13, outChannels = 4): GraphSpec {
  return {
    opset,
    input: { name: 'x', dims: [1, 3, 8, 9] },
    outputs: ['y'],
    nodes: [convNode('c0', 'x', 'a', { pads: [1, 1, 1, 1] }), ...nodes, convNode('c1', 'z', 'y', { pads: [1, 1, 1, 1] })],
    initializers: { ...convWeights(random, 'c0', 4, 3, 3), ...convWeights(random, 'c1', 2, outChannels, 3), ...extra },
  };
}

const kindsOf = (outputs: { stats: readonly { kind: string; activeFraction: number }[] }[]) => new Set(outputs[1]!.stats.map((s) => s.kind));
/** Whether a frame after the first recomputed the layer of `kind` only in part. */
const sparse = (outputs: { stats: readonly { kind: string; activeFraction: number }[] }[], kind: string) =>
  outputs.slice(1).some((o) => o.stats.some((s) => s.kind === kind && s.activeFraction < 1));

t.test('unary functions on the delta path', async (t) => {
  const cases: [string, NodeSpec[], number?][] = [
    ['tanh', [{ op: 'Tanh', inputs: ['a'], outputs: ['z'] }]],
    ['exp', [{ op: 'Exp', inputs: ['a'], outputs: ['z'] }]],
    ['softplus', [{ op: 'Softplus', inputs: ['a'], outputs: ['z'] }]],
    ['mish', [{ op: 'Mish', inputs: ['a'], outputs: ['z'] }], 18],
    ['erf', [{ op: 'Erf', inputs: ['a'], outputs: ['z'] }]],
    ['gelu', [{ op: 'Gelu', inputs: ['a'], outputs: ['z'] }], 20],
    ['sqrt', [{ op: 'Relu', inputs: ['a'], outputs: ['r'] }, { op: 'Sqrt', inputs: ['r'], outputs: ['z'] }]],
    ['elu', [{ op: 'Elu', inputs: ['a'], outputs: ['z'], attributes: { alpha: { float: 0.7 } } }]],
    ['abs, neg, reciprocal of 1 + |x|', [
      { op: 'Abs', inputs: ['a'], outputs: ['b'] }, { op: 'Add', inputs: ['b', 'one'], outputs: ['c'] },
      { op: 'Reciprocal', inputs: ['c'], outputs: ['d'] }, { op: 'Neg', inputs: ['d'], outputs: ['z'] },
    ]],
  ];
  for (const [label, nodes, opset] of cases) {
    const outputs = await checkGraph(t, random, label, around(nodes, { one: { dims: [], data: [1] } }, opset ?? 13));
    const kind = outputs[1]!.stats[1]!.kind;
    t.ok(sparse(outputs, kind), `${label}: recomputed only where its input changed (${kind})`);
  }
});

t.test('Pow by a constant (YOLOv5\'s (2·σ)²) and by a map; arithmetic with broadcast constants', async (t) => {
  const squared = await checkGraph(t, random, 'pow 2', around([{ op: 'Pow', inputs: ['a', 'two'], outputs: ['z'] }], { two: { dims: [], data: [2] } }));
  t.ok(sparse(squared, 'pow'), 'pow by a constant is on the delta path');
  await checkGraph(t, random, 'pow of a positive map by a map', around([
    { op: 'Sigmoid', inputs: ['a'], outputs: ['s'] }, { op: 'Tanh', inputs: ['a'], outputs: ['e'] }, { op: 'Pow', inputs: ['s', 'e'], outputs: ['z'] },
  ]));
  for (const [label, dims] of [['[C, 1, 1]', [4, 1, 1]], ['[1, 1, W]', [1, 1, 9]], ['[H, W]', [8, 9]], ['[1, C, H, W]', [1, 4, 8, 9]], ['scalar', []]] as const) {
    await checkGraph(t, random, `map - ${label}, ${label} / (1 + |map|)`, around([
      { op: 'Sub', inputs: ['a', 'k'], outputs: ['b'] },
      { op: 'Abs', inputs: ['b'], outputs: ['m'] }, { op: 'Add', inputs: ['m', 'one'], outputs: ['d'] },
      { op: 'Div', inputs: ['k', 'd'], outputs: ['z'] },
    ], { k: weights(random, [...dims]), one: { dims: [], data: [1] } }));
  }
});

t.test('two maps: residual Add, SE gating Mul with a 1x1 map, Min, Max, Sum and Mean, on the delta path', async (t) => {
  await checkGraph(t, random, 'squeeze-excite (the gate changes every frame: its product is recomputed whole)', around([
    { op: 'GlobalAveragePool', inputs: ['a'], outputs: ['g'] },
    { op: 'Sigmoid', inputs: ['g'], outputs: ['s'] },
    { op: 'Mul', inputs: ['a', 's'], outputs: ['m'] },
    { op: 'Relu', inputs: ['a'], outputs: ['r'] },
    { op: 'Add', inputs: ['m', 'r'], outputs: ['z'] },
  ]));
  const residual = await checkGraph(t, random, 'residual add', around([{ op: 'Relu', inputs: ['a'], outputs: ['r'] }, { op: 'Add', inputs: ['a', 'r'], outputs: ['z'] }]));
  t.ok(sparse(residual, 'add'), 'the residual add recomputes only changed pixels');
  for (const op of ['Min', 'Max', 'Sum', 'Mean']) {
    await checkGraph(t, random, op, around([{ op: 'Tanh', inputs: ['a'], outputs: ['b'] }, { op, inputs: ['a', 'b'], outputs: ['z'] }]));
  }
  await checkGraph(t, random, 'Max of three maps (dense)', around([{ op: 'Tanh', inputs: ['a'], outputs: ['b'] }, { op: 'Neg', inputs: ['a'], outputs: ['c'] }, { op: 'Max', inputs: ['a', 'b', 'c'], outputs: ['z'] }]));
});

t.test('ReduceMean and ReduceMax over H and W (keepdims 1 and 0, axes as attribute and input), GlobalMaxPool', async (t) => {
  for (const op of ['ReduceMean', 'ReduceMax']) {
    const kept = await checkGraph(t, random, `${op} keepdims`, around([
      { op, inputs: ['a'], outputs: ['p'], attributes: { axes: [2, 3] } },
      { op: 'Mul', inputs: ['a', 'p'], outputs: ['z'] },
    ]));
    t.ok(kindsOf(kept).has(op === 'ReduceMean' ? 'reduceMean' : 'reduceMax'), `${op} runs on the map`);
    await checkGraph(t, random, `${op} opset 18 axes input [-1, -2], keepdims 0 (a [1, C] vector)`, {
      opset: 18,
      input: { name: 'x', dims: [1, 3, 8, 9] },
      outputs: ['y'],
      nodes: [convNode('c0', 'x', 'a', { pads: [1, 1, 1, 1] }), { op, inputs: ['a', 'axes'], outputs: ['p'], attributes: { keepdims: 0 } }, { op: 'Gemm', inputs: ['p', 'w'], outputs: ['y'], attributes: { transB: 1 } }],
      initializers: { ...convWeights(random, 'c0', 4, 3, 3), axes: ints([-1, -2]), w: weights(random, [5, 4]) },
    });
  }
  await checkGraph(t, random, 'ReduceMean over channels runs densely', around([
    { op: 'ReduceMean', inputs: ['a'], outputs: ['p'], attributes: { axes: [1] } }, { op: 'Add', inputs: ['a', 'p'], outputs: ['z'] },
  ]));
  await checkGraph(t, random, 'GlobalMaxPool', around([{ op: 'GlobalMaxPool', inputs: ['a'], outputs: ['g'] }, { op: 'Sub', inputs: ['a', 'g'], outputs: ['z'] }]));
});

t.test('ConvTranspose: scatter of the active pixels, strides, pads, output_padding, groups, dilation, a fused Relu', async (t) => {
  const cases: [string, Record<string, number[] | number | string>, number][] = [
    ['stride 2, pads, output_padding', { strides: [2, 2], pads: [1, 0, 1, 1], output_padding: [1, 0] }, 1],
    ['group 2, dilation 2', { group: 2, dilations: [2, 2], pads: [1, 1, 1, 1] }, 2],
    ['SAME_UPPER stride 2', { strides: [2, 2], auto_pad: 'SAME_UPPER' }, 1],
  ];
  for (const [label, attributes, groups] of cases) {
    const outputs = await checkGraph(t, random, label, {
      opset: 11,
      input: { name: 'x', dims: [1, 3, 7, 6] },
      outputs: ['y'],
      nodes: [
        convNode('c0', 'x', 'a', { pads: [1, 1, 1, 1] }),
        { op: 'ConvTranspose', name: 'up', inputs: ['a', 'w', 'b'], outputs: ['u'], attributes },
        { op: 'Relu', inputs: ['u'], outputs: ['z'] },
        convNode('c1', 'z', 'y', { pads: [1, 1, 1, 1] }),
      ],
      initializers: { ...convWeights(random, 'c0', 4, 3, 3), w: weights(random, [4, 6 / groups, 3, 3]), b: weights(random, [6]), ...convWeights(random, 'c1', 2, 6, 3) },
    });
    t.ok(sparse(outputs, 'convTranspose'), `${label}: delta frames scatter only active pixels`);
    t.notOk(kindsOf(outputs).has('relu'), `${label}: the Relu is fused into the layer`);
  }
});
