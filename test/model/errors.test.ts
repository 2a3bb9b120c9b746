// Bad input gives clear errors: thrown by loadOnnx for bad models, through the Observable error
// channel for bad maps.
import { firstValueFrom, from, toArray } from 'rxjs';
import t from 'tap';
import onnxProto from 'onnx-proto';
import { loadOnnx, ModelImportError, SUPPORTED_OPERATORS } from '../../src/model/index.js';
import { RrmInputError } from '../../src/layers/validate.js';
import type { FeatureMap } from '../../src/types.js';
import { buildModel, weights } from '../helpers/onnx-builder.js';
import { prng } from '../helpers/random.js';

const random = prng(9);
const conv = (extra: object = {}) => ({
  input: { name: 'x', dims: [1, 2, 5, 5] },
  outputs: ['y'],
  nodes: [{ op: 'Conv', name: 'conv1', inputs: ['x', 'w'], outputs: ['y'] }],
  initializers: { w: weights(random, [3, 2, 3, 3]) },
  ...extra,
});
const map = (height: number, width: number, channels: number): FeatureMap => ({
  data: new Float32Array(height * width * channels), height, width, channels, index: 0, timestamp: 0, keyframe: false, stats: [],
});

t.test('unsupported operators: every type listed with its count and first node, then the supported operators', async (t) => {
  const model = buildModel(conv({
    nodes: [
      { op: 'Einsum', name: 'mix1', inputs: ['x'], outputs: ['a'] },
      { op: 'LpNormalization', name: 'norm1', inputs: ['a'], outputs: ['b'] },
      { op: 'Einsum', name: 'mix2', inputs: ['b'], outputs: ['y'] },
    ],
  }));
  const error = await loadOnnx(model).then(() => undefined, (e: Error) => e);
  t.type(error, ModelImportError);
  t.match(error?.message, /unsupported operators Einsum x2 \(first: node 'mix1'\), LpNormalization x1 \(first: node 'norm1'\)/);
  t.match(error?.message, /supported operators: .*Conv.*MaxPool.*Resize/);
  t.ok(SUPPORTED_OPERATORS.includes('Gemm') && SUPPORTED_OPERATORS.includes('Constant') && !SUPPORTED_OPERATORS.includes('SiLU'));
});

t.test('an image without its batch dimension is refused at load, saying so', async (t) => {
  await t.rejects(loadOnnx(buildModel(conv({ input: { name: 'x', dims: [2, 5, 5] } }))), /model input 'x' has shape \[2, 5, 5\]: rx-rrm takes an image \[1, C, H, W\] or a vector \[1, C\]; this looks like one image without its batch dimension/);
});

t.test('a fixed batch larger than 1 is refused at load, saying so', async (t) => {
  await t.rejects(loadOnnx(buildModel(conv({ input: { name: 'x', dims: [2, 2, 5, 5] } }))), /model input 'x' has a fixed batch of 2 \(shape \[2, 2, 5, 5\]\): rx-rrm runs one frame per inference \(batch 1\)/);
});

t.test('corrupt, empty, truncated and missing files', async (t) => {
  await t.rejects(loadOnnx(Uint8Array.from({ length: 64 }, (_, i) => (i * 37) % 256)), /not a valid ONNX model/);
  await t.rejects(loadOnnx(new Uint8Array(0)), /not a valid ONNX model/);
  const good = buildModel(conv());
  await t.rejects(loadOnnx(good.subarray(0, Math.floor(good.length / 2))), /not a valid ONNX model/);
  await t.rejects(loadOnnx('/nonexistent/model.onnx'), /cannot read ONNX model '\/nonexistent\/model.onnx'/);
});

t.test('external-data tensors are refused with the file they point to', async (t) => {
  const { onnx } = onnxProto;
  const decoded = onnx.ModelProto.decode(buildModel(conv()));
  const w = decoded.graph!.initializer![0]!;
  w.rawData = new Uint8Array(0);
  w.dataLocation = onnx.TensorProto.DataLocation.EXTERNAL;
  w.externalData = [onnx.StringStringEntryProto.create({ key: 'location', value: 'weights.bin' })];
  await t.rejects(loadOnnx(onnx.ModelProto.encode(decoded).finish()), /tensor 'w' stores its data in an external file \('weights.bin'\)/);
});

t.test('weights must be constants; one dynamic input; 2-D operators only', async (t) => {
  const conv1d = buildModel({
    input: { name: 'x', dims: [1, 2, 5] }, outputs: ['y'],
    nodes: [{ op: 'Conv', name: 'c1d', inputs: ['x', 'w'], outputs: ['y'] }],
    initializers: { w: weights(random, [3, 2, 3]) },
  });
  await t.rejects(loadOnnx(conv1d), /Conv node 'c1d': weight has shape \[3, 2, 3\]; only 2-D convolutions/);
  await t.rejects(
    loadOnnx(buildModel(conv({ initializers: {}, nodes: [{ op: 'Conv', name: 'conv1', inputs: ['x', 'x'], outputs: ['y'] }] }))),
    /weight \('x'\) must be a constant/,
  );
  const twoInputs = onnxProto.onnx.ModelProto.decode(buildModel(conv()));
  twoInputs.graph!.input!.push(onnxProto.onnx.ValueInfoProto.create({ name: 'second' }));
  await t.rejects(loadOnnx(onnxProto.onnx.ModelProto.encode(twoInputs).finish()), /exactly one image input; this model has 2 \(x, second\)/);
});

t.test('a map of the wrong shape errors through the Observable, naming the model input', async (t) => {
  const model = await loadOnnx(buildModel(conv()));
  const error = await firstValueFrom(from([map(5, 6, 2)]).pipe(model.operator())).then(() => undefined, (e: Error) => e);
  t.type(error, RrmInputError);
  t.match(error?.message, /model input 'x' expects shape \[1, 2, 5, 5\] \(an HWC map of 5x5x2\), got a 5x6x2 map/);
  await t.rejects(firstValueFrom(from([{ nonsense: true } as unknown as FeatureMap]).pipe(model.operator())), /expected a FeatureMap/);
});

t.test('operator options are checked: unknown layer names in thresholds, keyframeEvery', async (t) => {
  const model = await loadOnnx(buildModel(conv()));
  t.same(model.layers, ['conv1']);
  t.throws(() => model.operator({ thresholds: { conv2: 0.1 } }), /no RRM layer \(Conv, Gemm, MatMul, ConvTranspose\) named 'conv2'; layers: conv1/);
  t.throws(() => model.operator({ keyframeEvery: 0 }), /keyframeEvery must be a positive integer/);
  t.throws(() => model.operator({ threshold: -1 }), /threshold must be a finite number >= 0/);
  const outputs = await firstValueFrom(from([map(5, 5, 2)]).pipe(model.operator({ thresholds: { conv1: 0.5 } }), toArray()));
  t.equal(outputs.length, 1);
});
