// Small models written by the tests (onnx-proto), each run by rx-rrm over a sequence of slightly
// changing frames (so every frame after the first takes the delta path) and compared with
// onnxruntime-node frame by frame, at τ = 0: every output within 1e-4 of onnxruntime's, relative to
// the output's magnitude.
import t, { type Test } from 'tap';
import { weights, type GraphSpec, type NodeSpec } from '../helpers/onnx-builder.js';
import { checkGraph, convNode, convWeights as convWeightsOf } from '../helpers/onnx-graph-check.js';
import { prng } from '../helpers/random.js';

const random = prng(4);
const check = (t: Test, label: string, spec: GraphSpec, expectLayers?: number) => checkGraph(t, random, label, spec, expectLayers === undefined ? {} : { expectLayers });
const convWeights = (name: string, out: number, inPerGroup: number, k: number, bias = true) => convWeightsOf(random, name, out, inPerGroup, k, bias);

t.test('Conv attributes: auto_pad kinds, asymmetric pads, strides, dilations, groups, depthwise, no bias', async (t) => {
  const cases: [string, NodeSpec['attributes'], number, number, boolean][] = [
    ['SAME_UPPER stride 2', { auto_pad: 'SAME_UPPER', strides: [2, 2], kernel_shape: [3, 3] }, 1, 3, true],
    ['SAME_LOWER stride 2', { auto_pad: 'SAME_LOWER', strides: [2, 2] }, 1, 4, true],
    ['VALID', { auto_pad: 'VALID' }, 1, 3, true],
    ['asymmetric pads, strides 2x1', { pads: [0, 1, 2, 1], strides: [2, 1] }, 1, 3, true],
    ['dilations 2', { dilations: [2, 2], pads: [2, 2, 2, 2] }, 1, 3, true],
    ['groups 2, no bias', { group: 2, pads: [1, 1, 1, 1] }, 2, 3, false],
    ['depthwise', { group: 4, pads: [1, 1, 1, 1] }, 4, 3, true],
  ];
  for (const [label, attributes, groups, k, bias] of cases) {
    await check(t, label, {
      input: { name: 'x', dims: [1, 4, 11, 13] },
      outputs: ['y'],
      nodes: [convNode('c', 'x', 'y', attributes, bias)],
      initializers: convWeights('c', groups === 4 ? 4 : 6, 4 / groups, k, bias),
    });
  }
});

t.test('Flatten → Gemm reads the HWC map through permuted weights (transB, alpha, beta); MatMul + Add folds into one fc', async (t) => {
  await check(t, 'Gemm', {
    input: { name: 'x', dims: [1, 3, 6, 5] },
    outputs: ['y'],
    nodes: [
      convNode('c', 'x', 'a', { pads: [1, 1, 1, 1] }),
      { op: 'Relu', inputs: ['a'], outputs: ['r'] },
      { op: 'Flatten', inputs: ['r'], outputs: ['f'], attributes: { axis: 1 } },
      { op: 'Gemm', name: 'fc', inputs: ['f', 'fc.w', 'fc.b'], outputs: ['y'], attributes: { transB: 1, alpha: { float: 0.5 }, beta: { float: 2 } } },
    ],
    initializers: { ...convWeights('c', 4, 3, 3), 'fc.w': weights(random, [7, 4 * 6 * 5]), 'fc.b': weights(random, [7]) },
  }, 2);
  await check(t, 'Reshape → MatMul → Add → Relu', {
    input: { name: 'x', dims: [1, 2, 4, 4] },
    outputs: ['y'],
    nodes: [
      convNode('c', 'x', 'a'),
      { op: 'Reshape', inputs: ['a', 'shape'], outputs: ['f'] },
      { op: 'MatMul', name: 'mm', inputs: ['f', 'mm.w'], outputs: ['m'] },
      { op: 'Add', inputs: ['m', 'mm.b'], outputs: ['s'] },
      { op: 'Relu', inputs: ['s'], outputs: ['y'] },
    ],
    initializers: { ...convWeights('c', 3, 2, 3), shape: { dims: [2], data: [1, -1], type: 'int64' }, 'mm.w': weights(random, [3 * 2 * 2, 5]), 'mm.b': weights(random, [1, 5]) },
  }, 2);
});

t.test('BatchNormalization and constant Add/Mul/Sub/Div fold into the conv; Clip(0, 6) fuses as relu6', async (t) => {
  const C = 5;
  const positive = { dims: [C], data: Float32Array.from({ length: C }, () => 0.5 + random()) };
  await check(t, 'Conv → BN → Relu', {
    input: { name: 'x', dims: [1, 3, 9, 9] },
    outputs: ['y'],
    nodes: [
      convNode('c', 'x', 'a', { pads: [1, 1, 1, 1] }),
      { op: 'BatchNormalization', inputs: ['a', 'g', 'b', 'm', 'v'], outputs: ['n'], attributes: { epsilon: { float: 1e-3 } } },
      { op: 'Relu', inputs: ['n'], outputs: ['y'] },
    ],
    initializers: { ...convWeights('c', C, 3, 3), g: weights(random, [C]), b: weights(random, [C]), m: weights(random, [C]), v: positive },
  }, 1);
  await check(t, 'Conv → Add[C,1,1] → Mul(scalar) → Sub → Div → Clip(0,6)', {
    input: { name: 'x', dims: [1, 3, 8, 7] },
    outputs: ['y'],
    nodes: [
      convNode('c', 'x', 'a', {}, false),
      { op: 'Add', inputs: ['a', 'k1'], outputs: ['b'] },
      { op: 'Mul', inputs: ['k2', 'b'], outputs: ['m'] },
      { op: 'Sub', inputs: ['k3', 'm'], outputs: ['s'] },
      { op: 'Div', inputs: ['s', 'k4'], outputs: ['d'] },
      { op: 'Clip', inputs: ['d', 'lo', 'hi'], outputs: ['y'] },
    ],
    initializers: {
      ...convWeights('c', C, 3, 3, false),
      k1: weights(random, [C, 1, 1]), k2: { dims: [], data: [3] }, k3: weights(random, [1, C, 1, 1]), k4: { dims: [1], data: [0.25] },
      lo: { dims: [], data: [0] }, hi: { dims: [], data: [6] },
    },
  }, 1);
});

t.test('DAG: residual Add, Concat of branches, pooling attributes, two outputs', async (t) => {
  await check(t, 'residual + concat + pools', {
    input: { name: 'x', dims: [1, 3, 12, 10] },
    outputs: ['y', 'z'],
    nodes: [
      convNode('c1', 'x', 'a', { pads: [1, 1, 1, 1] }),
      { op: 'Relu', inputs: ['a'], outputs: ['r'] },
      convNode('c2', 'r', 'b', { pads: [1, 1, 1, 1] }),
      { op: 'Add', inputs: ['b', 'r'], outputs: ['s'] },
      { op: 'Relu', inputs: ['s'], outputs: ['y'] },
      convNode('c3', 'r', 'd', { pads: [1, 1, 1, 1] }),
      { op: 'MaxPool', inputs: ['y'], outputs: ['p'], attributes: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 0, 1, 0], ceil_mode: 1 } },
      { op: 'AveragePool', inputs: ['d'], outputs: ['q'], attributes: { kernel_shape: [2, 2], strides: [2, 2], pads: [1, 0, 0, 0], count_include_pad: 1, ceil_mode: 1 } },
      { op: 'Concat', inputs: ['p', 'q'], outputs: ['cat'], attributes: { axis: 1 } },
      { op: 'GlobalAveragePool', inputs: ['cat'], outputs: ['g'] },
      { op: 'Flatten', inputs: ['g'], outputs: ['f'] },
      { op: 'Softmax', inputs: ['f'], outputs: ['z'], attributes: { axis: 1 } },
    ],
    initializers: { ...convWeights('c1', 4, 3, 3), ...convWeights('c2', 4, 4, 3), ...convWeights('c3', 4, 4, 3) },
  });
});

t.test('Squeeze-excite gating, SiLU, HardSigmoid, HardSwish, LeakyRelu, PRelu, unfolded BN and affine', async (t) => {
  const C = 4;
  await check(t, 'squeeze-excite + activations', {
    opset: 14,
    input: { name: 'x', dims: [1, 3, 9, 8] },
    outputs: ['y', 'w'],
    nodes: [
      { op: 'BatchNormalization', inputs: ['x', 'g', 'b', 'm', 'v'], outputs: ['n'] },
      convNode('c1', 'n', 'a', { pads: [1, 1, 1, 1] }),
      { op: 'Sigmoid', inputs: ['a'], outputs: ['sa'] },
      { op: 'Mul', inputs: ['a', 'sa'], outputs: ['silu'] },
      { op: 'GlobalAveragePool', inputs: ['silu'], outputs: ['pooled'] },
      convNode('se', 'pooled', 'e'),
      { op: 'HardSigmoid', inputs: ['e'], outputs: ['gate'], attributes: { alpha: { float: 0.25 } } },
      { op: 'Mul', inputs: ['silu', 'gate'], outputs: ['gated'] },
      { op: 'HardSwish', inputs: ['gated'], outputs: ['h'] },
      { op: 'LeakyRelu', inputs: ['h'], outputs: ['l'], attributes: { alpha: { float: 0.2 } } },
      { op: 'PRelu', inputs: ['l', 'slope'], outputs: ['y'] },
      { op: 'Mul', inputs: ['silu', 'k'], outputs: ['w'] }, // silu has other readers: an unfolded per-element affine
    ],
    initializers: {
      g: weights(random, [3]), b: weights(random, [3]), m: weights(random, [3]), v: { dims: [3], data: [1, 2, 0.5] },
      ...convWeights('c1', C, 3, 3), ...convWeights('se', C, C, 1),
      slope: weights(random, [C, 1, 1]), k: weights(random, [1, C, 9, 1]),
    },
  });
});

t.test('Detection head: Transpose to NHWC, Reshape, Softmax and Concat of two heads come out in ONNX order', async (t) => {
  const head = (name: string, input: string): NodeSpec[] => [
    convNode(name, input, `${name}.o`, { pads: [1, 1, 1, 1] }),
    { op: 'Transpose', inputs: [`${name}.o`], outputs: [`${name}.t`], attributes: { perm: [0, 2, 3, 1] } },
    { op: 'Reshape', inputs: [`${name}.t`, `${name}.shape`], outputs: [`${name}.r`] },
  ];
  await check(t, 'two heads', {
    opset: 9,
    input: { name: 'x', dims: [1, 3, 8, 10] },
    outputs: ['scores', 'raw'],
    nodes: [
      convNode('s', 'x', 'f1', { strides: [2, 2], pads: [1, 1, 1, 1] }),
      ...head('h1', 'x'),
      ...head('h2', 'f1'),
      { op: 'Concat', inputs: ['h1.r', 'h2.r'], outputs: ['raw'], attributes: { axis: 1 } },
      { op: 'Softmax', inputs: ['raw'], outputs: ['scores'], attributes: { axis: 2 } },
    ],
    initializers: {
      ...convWeights('s', 5, 3, 3), ...convWeights('h1', 4, 3, 3), ...convWeights('h2', 6, 5, 3),
      'h1.shape': { dims: [3], data: [1, -1, 2], type: 'int64' }, 'h2.shape': { dims: [3], data: [1, -1, 2], type: 'int64' },
    },
  });
});

t.test('ConvTranspose (dense), initializers listed as inputs (IR 3), Identity and Dropout', async (t) => {
  await check(t, 'ConvTranspose stride 2, pads, output_padding, group 2', {
    input: { name: 'x', dims: [1, 4, 5, 6] },
    outputs: ['y'],
    initializersAsInputs: true,
    opset: 11,
    nodes: [
      { op: 'Identity', inputs: ['x'], outputs: ['i'] },
      { op: 'ConvTranspose', inputs: ['i', 'w', 'b'], outputs: ['t'], attributes: { strides: [2, 2], pads: [1, 0, 1, 1], output_padding: [1, 0], group: 2 } },
      { op: 'Dropout', inputs: ['t'], outputs: ['y'] },
    ],
    initializers: { w: weights(random, [4, 3, 3, 3]), b: weights(random, [6]) },
  });
});

t.test('Constant nodes (Reshape shape, Clip bounds), a constant left MatMul operand (dense), Sub with the map on the right', async (t) => {
  await check(t, 'constants', {
    opset: 13,
    input: { name: 'x', dims: [1, 2, 4, 4] },
    outputs: ['y', 'z'],
    nodes: [
      convNode('c', 'x', 'a', { pads: [1, 1, 1, 1] }),
      { op: 'Constant', inputs: [], outputs: ['shape'], attributes: { value_ints: [1, -1] } },
      { op: 'Constant', inputs: [], outputs: ['lo'], attributes: { value_float: { float: -0.5 } } },
      { op: 'Constant', inputs: [], outputs: ['hi'], attributes: { value_float: { float: 0.75 } } },
      { op: 'Clip', inputs: ['a', 'lo', 'hi'], outputs: ['clipped'] },
      { op: 'Reshape', inputs: ['clipped', 'shape'], outputs: ['row'] },
      { op: 'Sub', inputs: ['k', 'row'], outputs: ['y'] },
      { op: 'Transpose', inputs: ['row'], outputs: ['column'], attributes: { perm: [1, 0] } },
      { op: 'MatMul', inputs: ['left', 'column'], outputs: ['z'] },
    ],
    initializers: { ...convWeights('c', 3, 2, 3), k: weights(random, [1, 48]), left: weights(random, [5, 48]) },
  });
});
