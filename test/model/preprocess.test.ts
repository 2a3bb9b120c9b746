// model.preprocess: Frame → the model's input map: mean/scale/std, channel order and count,
// bilinear resize; and the one-line program fromVideoFile → preprocess → operator.
import { firstValueFrom, from, take, tap, toArray } from 'rxjs';
import t from 'tap';
import { loadOnnx } from '../../src/model/index.js';
import { fromVideoFile } from '../../src/sources/index.js';
import type { Frame } from '../../src/types.js';
import { buildModel, weights } from '../helpers/onnx-builder.js';
import { needsSharedData, videoPath } from '../helpers/shared-data.js';
import { prng } from '../helpers/random.js';

const random = prng(3);
const modelFor = (channels: number, height: number, width: number) =>
  loadOnnx(buildModel({
    input: { name: 'x', dims: [1, channels, height, width] },
    outputs: ['y'],
    nodes: [{ op: 'Conv', name: 'c', inputs: ['x', 'w'], outputs: ['y'] }],
    initializers: { w: weights(random, [2, channels, 1, 1]) },
  }));
const frame = (width: number, height: number, channels: 1 | 3 | 4, pixel: (x: number, y: number, c: number) => number, index = 0): Frame => ({
  data: Uint8Array.from({ length: width * height * channels }, (_, i) => pixel(Math.floor(i / channels) % width, Math.floor(i / channels / width), i % channels)),
  width, height, channels, index, timestamp: index * 40,
});

t.test('(byte − mean)·scale/std per channel, with the change hint on the next frame', async (t) => {
  const model = await modelFor(3, 2, 3);
  const first = frame(3, 2, 3, (x, y, c) => 10 * x + 50 * y + c);
  const second = { ...frame(3, 2, 3, (x, y, c) => (x === 1 && y === 1 ? 200 : 10 * x + 50 * y + c)), index: 1 };
  const maps = await firstValueFrom(from([first, second]).pipe(model.preprocess({ mean: [1, 2, 3], scale: 0.5, std: [1, 2, 4] }), toArray()));
  t.same(Array.from(maps[0]!.data.slice(0, 3)), [(0 - 1) * 0.5, (1 - 2) * 0.5 / 2, (2 - 3) * 0.5 / 4]);
  t.same(Array.from(maps[1]!.changes!.pixels), [4], 'only pixel (1, 1) changed');
});

t.test('channel order and count: BGR, RGBA → RGB, RGB → gray (BT.601)', async (t) => {
  const rgb = await modelFor(3, 1, 1);
  const gray = await modelFor(1, 1, 1);
  const pixel = frame(1, 1, 4, (_x, _y, c) => [200, 100, 50, 255][c]!);
  const [bgr] = await firstValueFrom(from([pixel]).pipe(rgb.preprocess({ channelOrder: 'bgr' }), toArray()));
  t.same(Array.from(bgr!.data), [50, 100, 200]);
  const [luma] = await firstValueFrom(from([pixel]).pipe(gray.preprocess(), toArray()));
  t.same(Array.from(luma!.data), [Math.round(0.299 * 200 + 0.587 * 100 + 0.114 * 50)]);
});

t.test('frames of another size are resized bilinearly (pixel centres aligned) to the input size', async (t) => {
  const model = await modelFor(1, 2, 4);
  // A horizontal ramp 10·x over 8 columns, halved: output column x samples source x' = 2x + 0.5.
  const [resized] = await firstValueFrom(from([frame(8, 4, 1, (x) => 10 * x)]).pipe(model.preprocess(), toArray()));
  t.same([resized!.width, resized!.height], [4, 2]);
  t.same(Array.from(resized!.data), [5, 25, 45, 65, 5, 25, 45, 65]);
});

t.test("fit: 'letterbox' keeps the aspect ratio: scaled to fit, centred between black bars", async (t) => {
  const model = await modelFor(1, 4, 4);
  // An 8x4 ramp 10·x fits 4x4 as 4x2 (the bilinear halving above), one black row above and below.
  const [boxed] = await firstValueFrom(from([frame(8, 4, 1, (x) => 10 * x)]).pipe(model.preprocess({ fit: 'letterbox' }), toArray()));
  t.same(Array.from(boxed!.data), [0, 0, 0, 0, 5, 25, 45, 65, 5, 25, 45, 65, 0, 0, 0, 0]);
  // A 2x4 (portrait) ramp 10·y fits 4x4 as 2x4, one black column on each side.
  const [pillar] = await firstValueFrom(from([frame(2, 4, 1, (_x, y) => 10 * y)]).pipe(model.preprocess({ fit: 'letterbox' }), toArray()));
  t.same(Array.from(pillar!.data), [0, 0, 0, 0, 0, 10, 10, 0, 0, 20, 20, 0, 0, 30, 30, 0]);
  t.throws(() => model.preprocess({ fit: 'crop' as 'stretch' }), /fit must be 'stretch' or 'letterbox', got "crop"/);
});

const video = videoPath('car-detection.mp4');
t.test('fromVideoFile(p).pipe(model.preprocess(...), model.operator()) is the whole program', { skip: needsSharedData(video) }, async (t) => {
  const model = await modelFor(3, 60, 80);
  const outputs = await firstValueFrom(fromVideoFile(video).pipe(take(3), model.preprocess({ mean: 127, scale: 1 / 128 }), model.operator(), toArray()));
  t.equal(outputs.length, 3);
  t.same(outputs[0]!.outputs.y!.dims, [1, 2, 60, 80]);
  t.equal(outputs[1]!.stats[0]!.kind, 'toTensor', 'the stats start with the preprocessing step');
});

t.test('model.pipeline (frames in, input map updated in place) gives preprocess + operator\'s outputs, and never changes an emitted one', async (t) => {
  const model = await loadOnnx(buildModel({
    input: { name: 'x', dims: [1, 3, 6, 5] },
    outputs: ['y'],
    nodes: [
      { op: 'Conv', name: 'c', inputs: ['x', 'w'], outputs: ['h'], attributes: { pads: [1, 1, 1, 1], kernel_shape: [3, 3] } },
      { op: 'Relu', name: 'r', inputs: ['h'], outputs: ['y'] },
    ],
    initializers: { w: weights(random, [4, 3, 3, 3]) },
  }));
  // A frame whose pixels change a few at a time, with a keyframe and an unchanged frame among them.
  const frames: Frame[] = [];
  let bytes = Uint8Array.from({ length: 5 * 6 * 3 }, () => Math.floor(random() * 256));
  for (let i = 0; i < 12; i++) {
    if (i % 4 !== 3) {
      bytes = bytes.slice();
      for (let k = 0; k < 3; k++) bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256);
    }
    frames.push({ data: bytes, width: 5, height: 6, channels: 3, index: i, timestamp: i * 40, ...(i === 6 ? { keyframe: true } : {}) });
  }
  const options = { preprocess: { mean: 127, scale: 1 / 128 }, threshold: 0 };
  const snapshots: Float32Array[] = [];
  const fused = await firstValueFrom(from(frames).pipe(model.pipeline(options), tap((o) => snapshots.push(o.outputs.y!.data.slice())), toArray()));
  const separate = await firstValueFrom(from(frames).pipe(model.preprocess(options.preprocess), model.operator({ threshold: 0 }), toArray()));
  fused.forEach((o, k) => t.same(Array.from(o.outputs.y!.data), Array.from(separate[k]!.outputs.y!.data), `frame ${k}`));
  t.ok(fused.every((o, k) => o.outputs.y!.data.every((v, i) => v === snapshots[k]![i])), 'emitted outputs unchanged after the stream');
  t.ok(fused.slice(1).some((o) => o.stats.some((s) => s.kind === 'conv' && !s.dense)), 'delta frames take the sparse path');
});

t.test('a model with symbolic height and width takes each frame at its own size (a new size is a keyframe)', async (t) => {
  const w = weights(random, [2, 3, 1, 1]);
  const model = await loadOnnx(buildModel({
    input: { name: 'x', dims: [1, 3, 'height', 'width'] },
    outputs: ['y'],
    nodes: [{ op: 'Conv', name: 'c', inputs: ['x', 'w'], outputs: ['y'] }],
    initializers: { w },
  }));
  const weight = w.data as Float32Array;
  const frames = [frame(4, 3, 3, (x, y, c) => 20 * x + 7 * y + c), frame(4, 3, 3, (x, y, c) => 21 * x + 7 * y + c, 1), frame(6, 5, 3, (x, y, c) => 9 * x + 30 * y + 2 * c, 2)];
  for (const run of ['pipeline', 'preprocess + operator'] as const) {
    const operator = run === 'pipeline'
      ? model.pipeline({ preprocess: { mean: 127, scale: 1 / 128 }, threshold: 0 })
      : (source: Parameters<ReturnType<typeof model.preprocess>>[0]) => source.pipe(model.preprocess({ mean: 127, scale: 1 / 128 }), model.operator({ threshold: 0 }));
    const outputs = await firstValueFrom(from(frames).pipe(operator, toArray()));
    outputs.forEach((output, k) => {
      const f = frames[k]!;
      const pixels = f.width * f.height;
      // y[o, p] = Σ_c w[o, c] · (byte − 127) / 128, in NCHW.
      const expected = Array.from({ length: 2 * pixels }, (_, i) => {
        const o = Math.floor(i / pixels), p = i % pixels;
        let sum = 0;
        for (let c = 0; c < 3; c++) sum += weight[o * 3 + c]! * ((f.data[p * 3 + c]! - 127) / 128);
        return sum;
      });
      t.same(output.outputs.y!.dims, [1, 2, f.height, f.width], `${run}, frame ${k}: the frame's own size`);
      const error = Math.max(...Array.from(output.outputs.y!.data, (v, i) => Math.abs(v - expected[i]!)));
      t.ok(error < 1e-5, `${run}, frame ${k}: W·x (largest error ${error.toExponential(1)})`);
    });
    t.ok(outputs[2]!.stats.filter((s) => s.kind === 'conv').every((s) => s.dense), `${run}: the new size is computed densely`);
  }
});
