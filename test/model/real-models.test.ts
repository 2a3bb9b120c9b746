// Real models on real video frames, against onnxruntime-node on the same input maps:
// - τ = 0, keyframe only at the first frame: every output within 1e-4 of onnxruntime's, relative
//   to the output's magnitude, on 100 consecutive frames (so 99 frames come from the delta path).
// - τ > 0 (UltraFace-slim on the clip with faces): per-frame deviation, the fraction of multiply-adds done, and agreement of
//   face detections (no anchor scored >= 0.75 by one side and < 0.65 by the other).
// Skips, with the reason, when ../shared/data is absent.
import { firstValueFrom, from, toArray } from 'rxjs';
import t, { type Test } from 'tap';
import type { KernelBackend } from '../../src/kernels/backend.js';
import { defaultBackend } from '../../src/kernels/default-backend.js';
import { jsBackend } from '../../src/kernels/js/js-backend.js';
import { compareFaceScores, decodeUltraFace, faceScores, iou, loadOnnx, type ModelOutput, type OnnxModel } from '../../src/model/index.js';
import type { PreprocessOptions } from '../../src/model/preprocess.js';
import type { FeatureMap, Frame } from '../../src/types.js';
import { hwcToNchwInput, referenceSession, relativeToMagnitude, type ReferenceTensor } from '../helpers/onnx-runtime.js';
import { modelPath, needsSharedData, readFrames, videoPath } from '../helpers/onnx-video.js';

const FRAMES = 100;
const TOLERANCE = 1e-4;
const VIDEO = videoPath('one-by-one-person-detection.mp4');
// The backend a user gets (native, else wasm): these tests are about whole models on real frames;
// each backend's kernels are checked against the naive reference in test/kernels. The plain-JS
// backend (RRM_MODEL_TEST_BACKEND=js) takes about ten times as long.
const backend: KernelBackend = process.env.RRM_MODEL_TEST_BACKEND === 'js' ? jsBackend : defaultBackend();

const run = (model: OnnxModel, maps: readonly FeatureMap[], options: Parameters<OnnxModel['operator']>[0]): Promise<ModelOutput[]> =>
  firstValueFrom(from(maps).pipe(model.operator(options), toArray()));

async function prepare(name: string, frames: Frame[], preprocess: PreprocessOptions) {
  const model = await loadOnnx(modelPath(name));
  const maps = await firstValueFrom(from(frames).pipe(model.preprocess(preprocess), toArray()));
  const session = await referenceSession(modelPath(name));
  const reference: Record<string, ReferenceTensor>[] = [];
  for (const map of maps) reference.push(await session.run(hwcToNchwInput(map.data, map.height, map.width, map.channels)));
  await session.release();
  return { model, maps, reference };
}

const quantile = (values: number[], q: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(q * values.length))]!;
const macFraction = (o: ModelOutput) => o.stats.reduce((n, s) => n + s.macs, 0) / o.stats.reduce((n, s) => n + s.denseMacs, 0);

function checkExact(t: Test, label: string, outputs: ModelOutput[], reference: Record<string, ReferenceTensor>[]): void {
  const worst: Record<string, number> = {};
  outputs.forEach((o, k) => {
    for (const [name, expected] of Object.entries(reference[k]!)) {
      const actual = o.outputs[name]!;
      if (actual.dims.join() !== expected.dims.join()) throw new Error(`${label} frame ${k}: '${name}' dims [${actual.dims}] vs onnxruntime [${expected.dims}]`);
      worst[name] = Math.max(worst[name] ?? 0, relativeToMagnitude(actual.data, expected.data));
    }
  });
  for (const [name, error] of Object.entries(worst)) {
    t.ok(error <= TOLERANCE, `${label}: '${name}' equals onnxruntime's on all ${outputs.length} frames within ${TOLERANCE} relative (max ${error.toExponential(2)})`);
  }
  const deltaFrames = outputs.slice(1).filter((o) => o.stats.some((s) => s.kind === 'conv' && !s.dense)).length;
  t.same(outputs.flatMap((o, k) => (o.keyframe ? [k] : [])), [0], `${label}: the first frame, computed densely, is the one keyframe`);
  t.comment(`${label}: MAC fraction per frame median ${quantile(outputs.slice(1).map(macFraction), 0.5).toFixed(3)}, p90 ${quantile(outputs.slice(1).map(macFraction), 0.9).toFixed(3)} (${deltaFrames} frames with sparse conv updates)`);
}

/** Runs τ = 0.01, 0.03 and 0.1 and reports deviation, MAC fraction and face agreement per frame and overall. */
async function compareThresholds(t: Test, label: string, model: OnnxModel, maps: FeatureMap[], reference: Record<string, ReferenceTensor>[]): Promise<void> {
  for (const threshold of [0.01, 0.03, 0.1]) {
    const outputs = await run(model, maps, { backend, threshold });
    const deviations: number[] = [];
    let disagreements = 0;
    let matchedBoxes = 0;
    let referenceBoxes = 0;
    let ourBoxes = 0;
    outputs.forEach((o, k) => {
      const { maxDeviation: deviation, disagreements: frameDisagreements } = compareFaceScores(faceScores(o.outputs.scores!), faceScores(reference[k]!.scores!));
      disagreements += frameDisagreements;
      deviations.push(deviation);
      const boxes = decodeUltraFace({ scores: o.outputs.scores!, boxes: o.outputs.boxes! });
      const expected = decodeUltraFace({ scores: reference[k]!.scores!, boxes: reference[k]!.boxes! });
      referenceBoxes += expected.length;
      ourBoxes += boxes.length;
      matchedBoxes += expected.filter((e) => boxes.some((b) => iou(b, e) > 0.5)).length;
      if (k % 10 === 0 || k === outputs.length - 1) {
        t.comment(`τ=${threshold} frame ${k}: max face-score deviation ${deviation.toFixed(4)}, MACs ${(100 * macFraction(o)).toFixed(1)}% of dense, faces ${boxes.length} vs onnxruntime ${expected.length}`);
      }
    });
    const macs = outputs.slice(1).map(macFraction);
    t.comment(
      `${label} τ=${threshold}: face-score deviation median ${quantile(deviations, 0.5).toFixed(4)}, p99 ${quantile(deviations, 0.99).toFixed(4)}, max ${Math.max(...deviations).toFixed(4)}; ` +
        `MACs median ${(100 * quantile(macs, 0.5)).toFixed(1)}%, p90 ${(100 * quantile(macs, 0.9)).toFixed(1)}% of dense; ` +
        `faces: ${matchedBoxes}/${referenceBoxes} of onnxruntime's matched (IoU > 0.5), ${ourBoxes} found; ${disagreements} anchors >= 0.75 on one side and < 0.65 on the other`,
    );
    if (threshold <= 0.03) t.equal(disagreements, 0, `${label} τ=${threshold}: no anchor is a face (>= 0.75) for one side and not (< 0.65) for the other`);
    t.ok(quantile(macs, 0.5) < 1, `${label} τ=${threshold}: fewer multiply-adds than dense`);
  }
}

const skip = needsSharedData(VIDEO, videoPath('face-demographics-walking.gif'), modelPath('mnist.onnx'), modelPath('ultraface-slim-320.onnx'), modelPath('ultraface-rfb-320.onnx'));
t.test('mnist.onnx on 100 gray 28x28 frames, τ = 0', { skip }, async (t) => {
  const frames = await readFrames(VIDEO, FRAMES, { width: 28, height: 28, pixelFormat: 'gray' });
  const { model, maps, reference } = await prepare('mnist.onnx', frames, {});
  checkExact(t, `mnist (${backend.name} backend)`, await run(model, maps, { backend }), reference);
  checkExact(t, `mnist, relative thresholds (${backend.name} backend)`, await run(model, maps, { backend, thresholdMode: 'relative' }), reference);
});

t.test('UltraFace on 100 real 320x240 frames', { skip }, async (t) => {
  const frames = await readFrames(VIDEO, FRAMES, { width: 320, height: 240 });
  for (const name of ['ultraface-slim-320.onnx', 'ultraface-rfb-320.onnx']) {
    const { model, maps, reference } = await prepare(name, frames, { mean: 127, scale: 1 / 128 });
    checkExact(t, `${name} τ=0 (${backend.name} backend)`, await run(model, maps, { backend }), reference);
    checkExact(t, `${name} relative τ=0 (${backend.name} backend)`, await run(model, maps, { backend, thresholdMode: 'relative' }), reference);
  }
});

t.test('UltraFace-slim on face-demographics-walking.gif (faces in almost every frame): τ = 0 and τ > 0 detections', { skip }, async (t) => {
  const gif = videoPath('face-demographics-walking.gif');
  const frames = await readFrames(gif, FRAMES, { width: 320, height: 240 });
  const { model, maps, reference } = await prepare('ultraface-slim-320.onnx', frames, { mean: 127, scale: 1 / 128 });
  checkExact(t, `ultraface-slim-320.onnx τ=0 on the gif (${backend.name} backend)`, await run(model, maps, { backend }), reference);
  await compareThresholds(t, 'ultraface-slim-320.onnx on face-demographics-walking.gif', model, maps, reference);
});
