// decodeYolo: the three layouts on hand-made outputs (expected boxes worked out by hand), and on the
// YOLO-style detectors exported by PyTorch: rx-rrm's outputs decode to the same boxes as
// onnxruntime's on every frame, knownDecoder finds the decoder, and decoding the raw head (DFL in
// TypeScript) gives the boxes of the graph's own decoding.
import { readFileSync } from 'node:fs';
import { firstValueFrom, from, toArray } from 'rxjs';
import t from 'tap';
import { anchorPointCount, boxesMatch, decodeYolo, knownDecoder, type YoloDetection } from '../../src/model/index.js';
import { modelFromBytes } from '../../src/model/model.js';
import { smoothChangingMaps } from '../helpers/onnx-compare.js';
import { hwcToNchwInput, referenceSession, type ReferenceTensor } from '../helpers/onnx-runtime.js';
import { prng } from '../helpers/random.js';
import { torchExportPath, torchModelsMissing } from '../helpers/torch-models.js';

const corners = (d: YoloDetection) => [d.x1, d.y1, d.x2, d.y2].map((v) => Math.round(v * 1000) / 1000);

t.test('anchor-free [1, 4 + classes, N]: best class, threshold, NMS per class (or across classes)', async (t) => {
  // Anchors (columns): A at (50, 40) 20x10 class 0 0.9; B 5 px to the right (IoU 15/25 = 0.6) class 0 0.8;
  // C = A's box as class 1 0.7; D far away, 0.2 (below 0.25).
  const N = 4;
  const rows = [
    [50, 55, 50, 10], // cx
    [40, 40, 40, 10], // cy
    [20, 20, 20, 4], // w
    [10, 10, 10, 4], // h
    [0.9, 0.8, 0.1, 0.2], // class 0
    [0.05, 0.1, 0.7, 0.1], // class 1
  ];
  const output = { dims: [1, 6, N], data: Float32Array.from(rows.flat()) };
  const options = { width: 100, height: 80, layout: 'anchor-free' } as const; // N < channels here: say which
  const found = decodeYolo(output, options);
  t.same(found.map((d) => [d.prior, d.classId, d.score]), [[0, 0, Math.fround(0.9)], [2, 1, Math.fround(0.7)]], 'A kept, B suppressed by A (same class), C kept (other class), D below the threshold');
  t.same(corners(found[0]!), [40, 35, 60, 45], 'corners from centre and size');
  const agnostic = decodeYolo(output, { ...options, classAgnostic: true });
  t.same(agnostic.map((d) => d.prior), [0], 'class-agnostic: C is suppressed by A too');
  t.same(decodeYolo(output, { ...options, iouThreshold: 0.7 }).map((d) => d.prior), [0, 1, 2], 'IoU 0.6 <= 0.7: B kept');
  t.same(decodeYolo(output, { ...options, scoreThreshold: 0.1 }).map((d) => d.prior), [0, 2, 3], 'a lower threshold admits D');
  const clipped = decodeYolo({ dims: [1, 5, 1], data: Float32Array.of(95, 5, 20, 20, 0.9) }, options);
  t.same(corners(clipped[0]!), [85, 0, 100, 15], 'boxes are clipped to the input');
});

t.test('anchor-based [1, N, 5 + classes]: score = objectness · class probability', async (t) => {
  const output = { dims: [1, 2, 7], data: Float32Array.of(30, 30, 10, 10, 0.5, 0.6, 0.9, 70, 60, 8, 6, 0.2, 0.9, 0.1) };
  const found = decodeYolo(output, { width: 100, height: 80, layout: 'anchor-based' });
  t.same(found.map((d) => [d.prior, d.classId, Math.round(d.score * 1e4) / 1e4]), [[0, 1, 0.45]], '0.5 · 0.9 = 0.45 kept, 0.2 · 0.9 = 0.18 dropped');
  t.same(corners(found[0]!), [25, 25, 35, 35]);
});

t.test('anchor-free raw with DFL: distances are softmax expectations over the bins, in strides from the anchor point', async (t) => {
  // 64x32 input, strides 8 and 16: 8x4 anchor points at stride 8 (points 0-31), 4x2 at stride 16 (32-39).
  const width = 64;
  const height = 32;
  const strides = [8, 16];
  const N = anchorPointCount(width, height, strides);
  t.equal(N, 40);
  const bins = 4;
  const channels = 4 * bins + 1;
  const data = new Float32Array(channels * N).fill(0);
  for (let k = 0; k < N; k++) data[4 * bins * N + k] = -5; // class logits: sigmoid(-5) < 0.01
  // Point 21 (row 2, column 5 at stride 8: centre (5.5, 2.5) cells = (44, 20) px): every side's
  // logits put almost all weight on bin 1 → 1 stride; class logit 2.
  for (let side = 0; side < 4; side++) data[(side * bins + 1) * N + 21] = 30;
  data[4 * bins * N + 21] = 2;
  const found = decodeYolo({ dims: [1, channels, N], data }, { width, height, bins, strides, scoreThreshold: 0.5 });
  t.equal(found.length, 1);
  t.same(corners(found[0]!), [36, 12, 52, 28], '(44, 20) ± 8 px');
  t.ok(Math.abs(found[0]!.score - 1 / (1 + Math.exp(-2))) < 1e-6, 'class logits go through a sigmoid');
  // Point 33 (row 0, column 1 at stride 16: centre (1.5, 0.5) cells): equal logits, expectation 1.5 bins.
  const all = decodeYolo({ dims: [1, channels, N], data }, { width, height, bins, strides, scoreThreshold: 0, iouThreshold: 1 });
  t.same(corners(all.find((d) => d.prior === 33)!), [0, 0, 48, 32], '(24, 8) ± 24 px = [0, -16, 48, 32], clipped to the input');
  t.throws(() => decodeYolo({ dims: [1, channels, 5], data: new Float32Array(channels * 5) }, { width, height, bins, strides }), /has 40 anchor points, the output 5/);
});

/** A model's outputs per frame, from rx-rrm and from onnxruntime. */
async function bothRuns(file: string, outputs?: string[]) {
  const bytes = readFileSync(torchExportPath(file));
  const model = modelFromBytes(bytes, outputs ? { outputs } : {});
  const [, , height, width] = model.inputs[0]!.dims as number[];
  const maps = smoothChangingMaps(prng(5), height!, width!, 3, 6);
  const ours = await firstValueFrom(from(maps).pipe(model.operator(), toArray()));
  const session = await referenceSession(bytes);
  const theirs: Record<string, ReferenceTensor>[] = [];
  for (const m of maps) theirs.push(await session.run(hwcToNchwInput(m.data, m.height, m.width, m.channels)));
  await session.release();
  return { model, ours, theirs, width: width!, height: height! };
}

t.test('the PyTorch YOLO-style detectors: rx-rrm decodes the same boxes as onnxruntime, every frame', { skip: torchModelsMissing }, async (t) => {
  for (const [file, layout] of [['yolo_anchor_free-op17.onnx', 'anchor-free'], ['yolo_anchor_based-op13.onnx', 'anchor-based']] as const) {
    const { model, ours, theirs } = await bothRuns(file);
    const decoder = knownDecoder(model);
    t.equal(decoder?.name, `YOLO (${layout})`, `${file}: knownDecoder finds the ${layout} decoder`);
    let boxes = 0;
    ours.forEach((o, k) => {
      const mine = decoder!.detect(o) as YoloDetection[];
      const reference = decoder!.detect({ ...o, outputs: { detections: theirs[k]!.detections! } }) as YoloDetection[];
      boxes += reference.length;
      t.ok(boxesMatch(mine, reference) && mine.every((d, i) => d.classId === reference[i]!.classId), `${file} frame ${k}: ${mine.length} boxes, as onnxruntime's ${reference.length}, same classes`);
      const comparison = decoder!.compare(o, { ...o, outputs: { detections: theirs[k]!.detections! } });
      t.equal(comparison.disagreements, 0, `${file} frame ${k}: no anchor confident on one side and below the threshold on the other`);
    });
    t.ok(boxes > 0, `${file}: the random weights detect something (${boxes} boxes over 6 frames)`);
  }
});

t.test('a raw head decoded in TypeScript (DFL) gives the boxes of the graph\'s own decoding', { skip: torchModelsMissing }, async (t) => {
  const raw = await bothRuns('yolo_anchor_free_raw-op17.onnx');
  const decoded = await bothRuns('yolo_anchor_free-op17.onnx');
  raw.ours.forEach((o, k) => {
    const fromRaw = decodeYolo(o.outputs.raw!, { width: raw.width, height: raw.height, bins: 16 });
    const fromGraph = decodeYolo(decoded.theirs[k]!.detections!, { width: raw.width, height: raw.height });
    t.ok(fromGraph.length > 0 && boxesMatch(fromRaw, fromGraph), `frame ${k}: ${fromRaw.length} boxes from rx-rrm's raw head, ${fromGraph.length} from onnxruntime's decoded output`);
    const worst = Math.max(...fromRaw.map((d, i) => Math.max(...corners(d).map((v, j) => Math.abs(v - corners(fromGraph[i]!)[j]!)))));
    t.ok(worst < 1e-2, `frame ${k}: corners within 0.01 px (${worst.toExponential(1)})`);
  });
});

t.test('knownDecoder recognizes a YOLO output by its anchor count at the input size; other shapes are not', async (t) => {
  const inputs = [{ name: 'x', dims: [1, 3, 64, 64] }];
  const points = anchorPointCount(64, 64);
  t.equal(knownDecoder({ inputs, outputs: [{ name: 'y', dims: [1, 84, points] }] })?.name, 'YOLO (anchor-free)');
  t.equal(knownDecoder({ inputs, outputs: [{ name: 'y', dims: [1, 3 * points, 85] }] })?.name, 'YOLO (anchor-based)');
  t.equal(knownDecoder({ inputs, outputs: [{ name: 'y', dims: [1, 84, points + 1] }] }), undefined, 'anchor count of another size');
  t.equal(knownDecoder({ inputs, outputs: [{ name: 'y', dims: [1, 84, points] }, { name: 'z', dims: [1, 2] }] }), undefined, 'two outputs');
});
