// Slice, Split, Pad, DepthToSpace, SpaceToDepth, ShuffleNet's channel shuffle and Squeeze/Unsqueeze
// on maps, between convs, against onnxruntime at τ = 0 over slightly changing frames; and that they
// run as map layers on the delta path (their stats), not as dense tensors.
import t from 'tap';
import type { GraphSpec, InitializerSpec, NodeSpec } from '../helpers/onnx-builder.js';
import { checkGraph, convNode, convWeights } from '../helpers/onnx-graph-check.js';
import { prng } from '../helpers/random.js';

const random = prng(13);
const ints = (values: number[]): InitializerSpec => ({ dims: [values.length], data: values, type: 'int64' });
const BIG = 2 ** 62; // "to the end", as exporters write INT64_MAX

/** conv (C channels) → the nodes → conv per output, on a [1, 3, H, W] input. */
function between(nodes: NodeSpec[], outputs: { name: string; channels: number }[], extra: Record<string, InitializerSpec> = {}, opset = 13, C = 6, H = 9, W = 10): GraphSpec {
  return {
    opset,
    input: { name: 'x', dims: [1, 3, H, W] },
    outputs: outputs.map((o) => `${o.name}.out`),
    nodes: [convNode('c0', 'x', 'a', { pads: [1, 1, 1, 1] }), ...nodes, ...outputs.map((o) => convNode(`${o.name}.conv`, o.name, `${o.name}.out`, { pads: [1, 1, 1, 1] }))],
    initializers: { ...convWeights(random, 'c0', C, 3, 3), ...Object.assign({}, ...outputs.map((o) => convWeights(random, `${o.name}.conv`, 2, o.channels, 3))), ...extra },
  };
}

const kindsOf = (outputs: { stats: readonly { kind: string }[] }[]) => new Set(outputs[1]!.stats.map((s) => s.kind));

t.test('Slice: channel ranges (C2f chunk), strided pixels (Focus), negative steps, default axes, opset 9 attributes', async (t) => {
  const chunk = await checkGraph(t, random, 'chunk: channels [0, 3) and [3, 6)', between([
    { op: 'Slice', inputs: ['a', 's0', 'e0', 'ax'], outputs: ['lo'] },
    { op: 'Slice', inputs: ['a', 'e0', 'e1', 'ax'], outputs: ['hi'] },
  ], [{ name: 'lo', channels: 3 }, { name: 'hi', channels: 3 }], { s0: ints([0]), e0: ints([3]), e1: ints([BIG]), ax: ints([1]) }));
  t.ok(kindsOf(chunk).has('slice'), 'chunk runs as slice layers');
  await checkGraph(t, random, 'Focus: x[..., ::2, ::2], x[..., 1::2, ::2], x[..., ::2, 1::2], x[..., 1::2, 1::2] concatenated', between([
    { op: 'Slice', inputs: ['a', 'z2', 'end2', 'hw', 'two2'], outputs: ['p0'] },
    { op: 'Slice', inputs: ['a', 'oz', 'end2', 'hw', 'two2'], outputs: ['p1'] },
    { op: 'Slice', inputs: ['a', 'zo', 'end2', 'hw', 'two2'], outputs: ['p2'] },
    { op: 'Slice', inputs: ['a', 'o2', 'end2', 'hw', 'two2'], outputs: ['p3'] },
    { op: 'Concat', inputs: ['p0', 'p1', 'p2', 'p3'], outputs: ['focus'], attributes: { axis: 1 } },
  ], [{ name: 'focus', channels: 24 }], { z2: ints([0, 0]), oz: ints([1, 0]), zo: ints([0, 1]), o2: ints([1, 1]), end2: ints([BIG, BIG]), hw: ints([2, 3]), two2: ints([2, 2]) }, 13, 6, 10, 12));
  await checkGraph(t, random, 'negative steps (a flip of rows, every other channel backwards), negative axes', between([
    { op: 'Slice', inputs: ['a', 'st', 'en', 'ax', 'sp'], outputs: ['flip'] },
  ], [{ name: 'flip', channels: 3 }], { st: ints([-1, 5]), en: ints([-BIG, -BIG]), ax: ints([-2, 1]), sp: ints([-1, -2]) }));
  await checkGraph(t, random, 'default axes and steps: crop rows 1..7, columns 2..end', between([
    { op: 'Slice', inputs: ['a', 'st', 'en'], outputs: ['crop'] },
  ], [{ name: 'crop', channels: 6 }], { st: ints([0, 0, 1, 2]), en: ints([1, 6, 7, BIG]) }));
  await checkGraph(t, random, 'opset 9: attributes', between([
    { op: 'Slice', inputs: ['a'], outputs: ['s'], attributes: { starts: [1, 2], ends: [5, 9], axes: [1, 3] } },
  ], [{ name: 's', channels: 4 }], {}, 9));
});

t.test('Split: opset 11 attribute, opset 13 input, equal parts, opset 18 num_outputs (last part smaller), along H', async (t) => {
  const split = await checkGraph(t, random, 'opset 11 split [2, 4]', between([{ op: 'Split', inputs: ['a'], outputs: ['u', 'v'], attributes: { axis: 1, split: [2, 4] } }],
    [{ name: 'u', channels: 2 }, { name: 'v', channels: 4 }], {}, 11));
  t.ok(kindsOf(split).has('slice'), 'split runs as slice layers');
  await checkGraph(t, random, 'opset 13 split input [1, 2, 3]', between([{ op: 'Split', inputs: ['a', 'sizes'], outputs: ['u', 'v', 'w'], attributes: { axis: 1 } }],
    [{ name: 'u', channels: 1 }, { name: 'v', channels: 2 }, { name: 'w', channels: 3 }], { sizes: ints([1, 2, 3]) }));
  await checkGraph(t, random, 'opset 13 equal parts', between([{ op: 'Split', inputs: ['a'], outputs: ['u', 'v', 'w'], attributes: { axis: -3 } }],
    [{ name: 'u', channels: 2 }, { name: 'v', channels: 2 }, { name: 'w', channels: 2 }]));
  await checkGraph(t, random, 'opset 18 num_outputs 4 of 7 channels: 2, 2, 2 and 1', between([{ op: 'Split', inputs: ['a'], outputs: ['u', 'v', 'w', 'z'], attributes: { axis: 1, num_outputs: 4 } }],
    [{ name: 'u', channels: 2 }, { name: 'v', channels: 2 }, { name: 'w', channels: 2 }, { name: 'z', channels: 1 }], {}, 18, 7));
  await checkGraph(t, random, 'along H [4, 5]', between([{ op: 'Split', inputs: ['a', 'sizes'], outputs: ['u', 'v'], attributes: { axis: 2 } }],
    [{ name: 'u', channels: 6 }, { name: 'v', channels: 6 }], { sizes: ints([4, 5]) }));
});

t.test('Pad: constant (with a value), reflect, edge; opset 2 attributes, opset 11 inputs, opset 18 axes, negative pads crop', async (t) => {
  for (const mode of ['constant', 'reflect', 'edge']) {
    const padded = await checkGraph(t, random, `opset 13 ${mode} [top 1, left 2, bottom 3, right 0]`, between([
      { op: 'Pad', inputs: ['a', 'pads', 'value'], outputs: ['p'], attributes: { mode } },
    ], [{ name: 'p', channels: 6 }], { pads: ints([0, 0, 1, 2, 0, 0, 3, 0]), value: { dims: [], data: [0.75] } }));
    t.ok(kindsOf(padded).has('pad'), `${mode} runs as a pad layer`);
  }
  await checkGraph(t, random, 'opset 2 attributes, reflect', between([
    { op: 'Pad', inputs: ['a'], outputs: ['p'], attributes: { mode: 'reflect', pads: [0, 0, 2, 2, 0, 0, 2, 2] } },
  ], [{ name: 'p', channels: 6 }], {}, 2));
  await checkGraph(t, random, 'opset 11 edge without a value', between([
    { op: 'Pad', inputs: ['a', 'pads'], outputs: ['p'], attributes: { mode: 'edge' } },
  ], [{ name: 'p', channels: 6 }], { pads: ints([0, 0, 2, 0, 0, 0, 0, 3]) }, 11));
  await checkGraph(t, random, 'opset 18 axes [3, 2]', between([
    { op: 'Pad', inputs: ['a', 'pads', '', 'axes'], outputs: ['p'], attributes: { mode: 'constant' } },
  ], [{ name: 'p', channels: 6 }], { pads: ints([1, 2, 3, 0]), axes: ints([3, 2]) }, 18));
  await checkGraph(t, random, 'negative pads crop', between([
    { op: 'Pad', inputs: ['a', 'pads'], outputs: ['p'] },
  ], [{ name: 'p', channels: 6 }], { pads: ints([0, 0, -1, 1, 0, 0, 2, -2]) }));
  await checkGraph(t, random, 'channel padding runs densely', between([
    { op: 'Pad', inputs: ['a', 'pads'], outputs: ['p'] },
  ], [{ name: 'p', channels: 8 }], { pads: ints([0, 1, 0, 0, 0, 1, 0, 0]) }));
});

t.test('DepthToSpace (DCR, CRD) and SpaceToDepth', async (t) => {
  for (const mode of ['DCR', 'CRD']) {
    const d2s = await checkGraph(t, random, `DepthToSpace ${mode} blocksize 2`, between([{ op: 'DepthToSpace', inputs: ['a'], outputs: ['d'], attributes: { blocksize: 2, mode } }], [{ name: 'd', channels: 2 }], {}, 13, 8));
    t.ok(kindsOf(d2s).has('depthToSpace'), `${mode} runs as a map layer`);
  }
  await checkGraph(t, random, 'SpaceToDepth blocksize 2', between([{ op: 'SpaceToDepth', inputs: ['a'], outputs: ['d'], attributes: { blocksize: 2 } }], [{ name: 'd', channels: 24 }], {}, 13, 6, 8, 10));
});

t.test('ShuffleNet channel shuffle (Reshape to 5-D, Transpose 1↔2, Reshape back) runs as one layer', async (t) => {
  const outputs = await checkGraph(t, random, 'shuffle of 6 channels in 2 groups', between([
    { op: 'Reshape', inputs: ['a', 'split'], outputs: ['r'] },
    { op: 'Transpose', inputs: ['r'], outputs: ['tr'], attributes: { perm: [0, 2, 1, 3, 4] } },
    { op: 'Reshape', inputs: ['tr', 'merge'], outputs: ['s'] },
  ], [{ name: 's', channels: 6 }], { split: ints([1, 2, 3, 9, 10]), merge: ints([1, -1, 9, 10]) }));
  t.ok(kindsOf(outputs).has('channelShuffle') && !kindsOf(outputs).has('transpose'), 'one channelShuffle layer');
});

t.test('Squeeze and Unsqueeze relabel maps (opset 11 attributes, opset 13 inputs)', async (t) => {
  const pooled = (opset: number, squeeze: NodeSpec, unsqueeze: NodeSpec, extra: Record<string, InitializerSpec>) => checkGraph(t, random, `opset ${opset}`, {
    opset,
    input: { name: 'x', dims: [1, 3, 6, 5] },
    outputs: ['y'],
    nodes: [
      convNode('c0', 'x', 'a', { pads: [1, 1, 1, 1] }),
      { op: 'GlobalAveragePool', inputs: ['a'], outputs: ['g'] },
      squeeze,
      unsqueeze,
      convNode('c1', 'u', 'y'),
    ],
    initializers: { ...convWeights(random, 'c0', 4, 3, 3), ...convWeights(random, 'c1', 2, 4, 1), ...extra },
  });
  await pooled(11, { op: 'Squeeze', inputs: ['g'], outputs: ['s'], attributes: { axes: [2, 3] } }, { op: 'Unsqueeze', inputs: ['s'], outputs: ['u'], attributes: { axes: [2, 3] } }, {});
  await pooled(13, { op: 'Squeeze', inputs: ['g', 'axes'], outputs: ['s'] }, { op: 'Unsqueeze', inputs: ['s', 'axes'], outputs: ['u'] }, { axes: ints([-1, -2]) });
});
