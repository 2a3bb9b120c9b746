// Resize and Upsample between two convs (so that frames after the first reach them as change hints
// and leave them as hints for the next conv), against onnxruntime at τ = 0 over slightly changing
// frames: every mode, coordinate transform and nearest rounding, scales and sizes, up and down, odd
// sizes, and the older opsets' forms (Resize-10, Upsample-9 and -7).
import t from 'tap';
import type { AttributeValue, GraphSpec, InitializerSpec, NodeSpec } from '../helpers/onnx-builder.js';
import { checkGraph, convNode, convWeights } from '../helpers/onnx-graph-check.js';
import { prng } from '../helpers/random.js';

const random = prng(12);

/** conv → resize → conv; the resize's extra inputs given as initializers. */
function resizeGraph(op: 'Resize' | 'Upsample', opset: number, attributes: Record<string, AttributeValue>, extra: Record<string, InitializerSpec | ''>): GraphSpec {
  const inputs = Object.keys(extra).map((name) => (extra[name] === '' ? '' : name));
  const initializers = Object.fromEntries(Object.entries(extra).filter((e): e is [string, InitializerSpec] => e[1] !== ''));
  const resize: NodeSpec = { op, name: 'resize', inputs: ['a', ...inputs], outputs: ['r'], attributes };
  return {
    opset,
    input: { name: 'x', dims: [1, 3, 9, 11] },
    outputs: ['y'],
    nodes: [convNode('c1', 'x', 'a', { pads: [1, 1, 1, 1] }), resize, convNode('c2', 'r', 'y', { pads: [1, 1, 1, 1] })],
    initializers: { ...convWeights(random, 'c1', 4, 3, 3), ...convWeights(random, 'c2', 2, 4, 3), ...initializers },
  };
}

const scales = (values: number[]): InitializerSpec => ({ dims: [values.length], data: values });
const sizes = (values: number[]): InitializerSpec => ({ dims: [values.length], data: values, type: 'int64' });
const emptyRoi: InitializerSpec = { dims: [0], data: [] };

t.test('Resize (opset 13): nearest and linear, every coordinate transform, up and down, by scales and by sizes', async (t) => {
  const transforms = ['half_pixel', 'pytorch_half_pixel', 'align_corners', 'asymmetric', 'tf_half_pixel_for_nn'];
  const targets: [string, Record<string, InitializerSpec | ''>][] = [
    ['scales x2 x1.5', { roi: '', scales: scales([1, 1, 2, 1.5]) }],
    ['scales x0.6 x0.5', { roi: '', scales: scales([1, 1, 0.6, 0.5]) }],
    ['sizes 13x7', { roi: '', scales: '', sizes: sizes([1, 4, 13, 7]) }],
  ];
  for (const mode of ['nearest', 'linear']) {
    for (const transform of transforms) {
      if (mode === 'linear' && transform === 'tf_half_pixel_for_nn') continue; // a nearest-only transform
      for (const [label, extra] of targets) {
        await checkGraph(t, random, `${mode} ${transform} ${label}`, resizeGraph('Resize', 13, { mode, coordinate_transformation_mode: transform }, extra));
      }
    }
  }
});

t.test('Resize nearest_mode: round_prefer_floor, round_prefer_ceil, floor, ceil', async (t) => {
  for (const nearest of ['round_prefer_floor', 'round_prefer_ceil', 'floor', 'ceil']) {
    for (const transform of ['half_pixel', 'asymmetric', 'align_corners']) {
      await checkGraph(t, random, `${nearest} ${transform} x1.7`, resizeGraph('Resize', 13, { mode: 'nearest', nearest_mode: nearest, coordinate_transformation_mode: transform }, { roi: '', scales: scales([1, 1, 1.7, 1.3]) }));
    }
  }
});

t.test('older forms: Resize-11 with an roi input, Resize-10, Upsample-9 (scales input) and Upsample-7 (scales attribute), Resize-19 half_pixel_symmetric', async (t) => {
  await checkGraph(t, random, 'Resize-11 linear', resizeGraph('Resize', 11, { mode: 'linear', coordinate_transformation_mode: 'pytorch_half_pixel' }, { roi: emptyRoi, scales: scales([1, 1, 2, 2]) }));
  await checkGraph(t, random, 'Resize-10 nearest', resizeGraph('Resize', 10, { mode: 'nearest' }, { scales: scales([1, 1, 2, 3]) }));
  await checkGraph(t, random, 'Resize-10 linear', resizeGraph('Resize', 10, { mode: 'linear' }, { scales: scales([1, 1, 1.5, 2]) }));
  await checkGraph(t, random, 'Upsample-9 nearest', resizeGraph('Upsample', 9, { mode: 'nearest' }, { scales: scales([1, 1, 2, 2]) }));
  await checkGraph(t, random, 'Upsample-9 linear', resizeGraph('Upsample', 9, { mode: 'linear' }, { scales: scales([1, 1, 2, 2]) }));
  await checkGraph(t, random, 'Upsample-7 nearest', resizeGraph('Upsample', 7, { mode: 'nearest', scales: { floats: [1, 1, 3, 2] } }, {}));
  // Scales without exact ties (x.5): at a tie (width 11 scaled by 0.6, output 1) onnxruntime picks the
  // lower pixel although float32 arithmetic in its expression's order gives 2.5000002.
  for (const mode of ['nearest', 'linear']) {
    await checkGraph(t, random, `Resize-19 ${mode} half_pixel_symmetric`, resizeGraph('Resize', 19, { mode, coordinate_transformation_mode: 'half_pixel_symmetric' }, { roi: '', scales: scales([1, 1, 1.7, 0.7]) }));
  }
});

t.test('unsupported forms are refused at load, naming the node', async (t) => {
  const { loadOnnx } = await import('../../src/model/index.js');
  const { buildModel } = await import('../helpers/onnx-builder.js');
  await t.rejects(loadOnnx(buildModel(resizeGraph('Resize', 13, { mode: 'cubic' }, { roi: '', scales: scales([1, 1, 2, 2]) }))), /Resize node 'resize': mode 'cubic' is not supported \(nearest and linear are\)/);
  await t.rejects(
    loadOnnx(buildModel(resizeGraph('Resize', 13, { mode: 'linear', coordinate_transformation_mode: 'tf_crop_and_resize' }, { roi: '', scales: scales([1, 1, 2, 2]) }))),
    /coordinate_transformation_mode 'tf_crop_and_resize' is not supported/,
  );
});
