/**
 * Face detection on a video file with a real ONNX model (UltraFace-slim-320): prints the faces of
 * every frame and how much of the dense work rx-rrm did. The whole program is one pipe:
 * frames → model.pipeline (preprocessing and the network) → decode boxes.
 *
 *   npm run example -- face-detection [video] [--model ultraface-slim-320.onnx] [--threshold 0.015] [--frames 60]
 *
 * Without arguments it uses the model and clip of ../shared/data (beside a clone of the project's
 * repository, when present).
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { from, lastValueFrom, take, toArray } from 'rxjs';
import { decodeUltraFace, fromVideoFile, loadOnnx, type ModelPipelineOptions } from 'rx-rrm';

const data = resolve(process.cwd(), '../shared/data');
const [first, ...rest] = process.argv.slice(2);
const flags = first?.startsWith('--') ? [first, ...rest] : rest;
const video = first && !first.startsWith('--') ? first : resolve(data, 'videos/one-by-one-person-detection.mp4');
const option = (name: string) => {
  const at = flags.indexOf(name);
  return at >= 0 ? flags[at + 1] : undefined;
};
const modelFile = option('--model') ?? resolve(data, 'models/ultraface-slim-320.onnx');
const threshold = Number(option('--threshold') ?? 0.015);
const frames = Number(option('--frames') ?? 60);
for (const [what, path] of [['model', modelFile], ['video', video]] as const) {
  if (!existsSync(path)) {
    console.error(`face-detection: no ${what} at ${path}: pass one (face-detection <video> --model <ultraface-slim-320.onnx>)`);
    process.exit(2);
  }
}

const model = await loadOnnx(modelFile);
const [, , height, width] = model.inputs[0]!.dims as number[];
console.log(`${modelFile}: input ${model.inputs[0]!.name} [${model.inputs[0]!.dims.join(', ')}], τ = ${threshold}, ${model.layers.length} conv layers`);

// Decode once, then run the same frames through rx-rrm and through the dense path for the speed-up.
const decoded = await lastValueFrom(fromVideoFile(video, { width, height }).pipe(take(frames), toArray()));
const timed = async (options: ModelPipelineOptions) => {
  const started = performance.now();
  const outputs = await lastValueFrom(from(decoded).pipe(model.pipeline({ preprocess: { mean: 127, scale: 1 / 128 }, ...options }), toArray()));
  return { outputs, ms: performance.now() - started };
};
// The fastest kernels that load here (native, else WebAssembly, else plain JS, with a notice).
await timed({ threshold }); // warm-up: let V8 compile before timing
const rrm = await timed({ threshold });
const dense = await timed({ keyframeEvery: 1 });

for (const output of rrm.outputs) {
  const faces = decodeUltraFace({ scores: output.outputs.scores!, boxes: output.outputs.boxes! });
  const macs = output.stats.reduce((n, s) => n + s.macs, 0) / output.stats.reduce((n, s) => n + s.denseMacs, 0);
  const boxes = faces.map((f) => `(${f.x1.toFixed(0)},${f.y1.toFixed(0)})-(${f.x2.toFixed(0)},${f.y2.toFixed(0)}) ${f.score.toFixed(2)}`);
  console.log(`frame ${output.index}: ${faces.length} face${faces.length === 1 ? '' : 's'} ${boxes.join('  ')}  [${(100 * macs).toFixed(1)}% of dense multiply-adds]`);
}
console.log(`${rrm.outputs.length} frames: rx-rrm ${(rrm.ms / rrm.outputs.length).toFixed(1)} ms/frame, dense path ${(dense.ms / dense.outputs.length).toFixed(1)} ms/frame, speed-up ${(dense.ms / rrm.ms).toFixed(2)}x`);
