/**
 * UltraFace-slim-320 on four real clips at 320x240, measured side by side in one run:
 * onnxruntime-node (1 and 2 threads), rx-rrm's dense path (a keyframe every frame), rx-rrm exact
 * (τ = 0) and rx-rrm at the largest τ of a small search whose face detections agree with
 * onnxruntime's on every frame and whose 99th-percentile per-frame largest face-score deviation is
 * ≤ 0.03 — searched with absolute thresholds and with relative ones (each layer's τ scaled by its
 * input's magnitude), side by side; the 2-thread run and the profiles use the mode that needed
 * fewer multiply-adds on the clip.
 * Plus per-layer active fractions and the fraction of dense multiply-adds done.
 * Inputs are preprocessed once beforehand, for every contender alike. Times are medians per frame.
 */
import { firstValueFrom, from, map, tap, toArray } from 'rxjs';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';
import type { KernelBackend } from '../src/kernels/backend.js';
import { jsBackend } from '../src/kernels/js-backend.js';
import { createWasmBackend, wasmBackend, wasmKernelStatus } from '../src/kernels/wasm/wasm-backend.js';
import { compareFaceScores, decodeUltraFace, faceScores, iou, loadOnnx, type ModelOperatorOptions, type ModelOutput, type OnnxModel, THRESHOLD_MODES, type ThresholdMode } from '../src/model/index.js';
import { readFrames } from '../test/helpers/onnx-video.js';
import { hwcToNchwInput, referenceSession, type ReferenceTensor } from '../test/helpers/onnx-runtime.js';
import type { FeatureMap } from '../src/types.js';
import { median, percentile, printTable } from './harness.js';

const DATA = resolve(dirname(fileURLToPath(import.meta.url)), '../../shared/data');
const MODEL = resolve(DATA, 'models/ultraface-slim-320.onnx');
// Enough frames of the mp4 clips that people (and faces) appear; the GIFs whole.
const CLIPS = [
  { file: 'one-by-one-person-detection.mp4', frames: 150 },
  { file: 'car-detection.mp4', frames: 120 },
  { file: 'face-demographics-walking.gif', frames: 35 },
  { file: 'head-pose-face-detection-female.gif', frames: 23 },
];
const SEARCH = [0.003, 0.005, 0.01, 0.02, 0.03, 0.05, 0.07, 0.1];
const MAX_P99_DEVIATION = 0.03;

interface Measured {
  readonly outputs: ModelOutput[];
  /** Per-frame wall time in ms, first (dense) frame excluded. */
  readonly times: number[];
}

interface Searched {
  readonly threshold: number;
  readonly thresholdMode: ThresholdMode;
  readonly measured: Measured;
  readonly p99: number;
}

async function measure(model: OnnxModel, maps: readonly FeatureMap[], options: ModelOperatorOptions): Promise<Measured> {
  const times: number[] = [];
  let started = 0;
  const outputs = await firstValueFrom(
    from(maps).pipe(tap(() => (started = performance.now())), model.operator(options), map((o) => (times.push(performance.now() - started), o)), toArray()),
  );
  return { outputs, times: times.slice(1) };
}

async function measureRuntime(maps: readonly FeatureMap[], threads: number): Promise<{ times: number[]; outputs: Record<string, ReferenceTensor>[] }> {
  const session = await referenceSession(MODEL, threads);
  const inputs = maps.map((m) => hwcToNchwInput(m.data, m.height, m.width, m.channels));
  for (const input of inputs.slice(0, 3)) await session.run(input); // warm-up
  const times: number[] = [];
  const outputs: Record<string, ReferenceTensor>[] = [];
  for (const input of inputs) {
    const started = performance.now();
    outputs.push(await session.run(input));
    times.push(performance.now() - started);
  }
  await session.release();
  return { times: times.slice(1), outputs };
}

/** Largest per-frame face-score deviation (p99 over frames) and whether decoded faces agree on every frame. */
function agreement(outputs: ModelOutput[], reference: Record<string, ReferenceTensor>[]): { p99: number; agree: boolean } {
  const deviations: number[] = [];
  let agree = true;
  outputs.forEach((o, k) => {
    const { maxDeviation, disagreements } = compareFaceScores(faceScores(o.outputs.scores!), faceScores(reference[k]!.scores!));
    if (disagreements > 0) agree = false;
    deviations.push(maxDeviation);
    const boxes = decodeUltraFace({ scores: o.outputs.scores!, boxes: o.outputs.boxes! });
    const expected = decodeUltraFace({ scores: reference[k]!.scores!, boxes: reference[k]!.boxes! });
    if (boxes.length !== expected.length || !expected.every((e) => boxes.some((b) => iou(b, e) > 0.5))) agree = false;
  });
  return { p99: percentile(deviations, 99), agree };
}

const macFraction = (outputs: ModelOutput[]) => {
  const done = outputs.slice(1).reduce((n, o) => n + o.stats.reduce((m, s) => m + s.macs, 0), 0);
  const dense = outputs.slice(1).reduce((n, o) => n + o.stats.reduce((m, s) => m + s.denseMacs, 0), 0);
  return done / dense;
};
const fps = (times: number[]) => (1000 / median(times)).toFixed(1);
const latency = (times: number[]) => `${median(times).toFixed(1)} / ${percentile(times, 99).toFixed(1)}`;
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

/**
 * The largest τ of the search whose detections agree and whose p99 deviation is small enough,
 * stopping at the first that fails (larger ones defer more).
 */
async function searchThreshold(
  model: OnnxModel,
  maps: readonly FeatureMap[],
  reference: Record<string, ReferenceTensor>[],
  options: ModelOperatorOptions & { thresholdMode: ThresholdMode },
): Promise<Searched | undefined> {
  let best: Searched | undefined;
  for (const threshold of SEARCH) {
    const measured = await measure(model, maps, { ...options, threshold });
    const { p99, agree } = agreement(measured.outputs, reference);
    if (!agree || p99 > MAX_P99_DEVIATION) break;
    best = { threshold, thresholdMode: options.thresholdMode, measured, p99 };
  }
  return best;
}

/** Per conv layer: active input fractions over all frames after the first. */
function activeFractions(runs: ModelOutput[][]): Map<string, number[]> {
  const byLayer = new Map<string, number[]>();
  for (const outputs of runs) {
    for (const o of outputs.slice(1)) {
      for (const s of o.stats) if (s.kind === 'conv') byLayer.set(s.layer, [...(byLayer.get(s.layer) ?? []), s.activeFraction]);
    }
  }
  return byLayer;
}

export async function run(): Promise<void> {
  const absent = [MODEL, ...CLIPS.map((c) => resolve(DATA, 'videos', c.file))].filter((p) => !existsSync(p));
  if (absent.length > 0) {
    console.log(`skipped: ${absent.join(', ')} absent (../shared/data)`);
    return;
  }
  const wasm = wasmKernelStatus();
  if (!wasm.available) console.log(`wasm backend unavailable (${wasm.reason}): the JS backend stands in`);
  const oneThread: KernelBackend = wasm.available ? wasmBackend : jsBackend;
  const twoThreads: KernelBackend = wasm.available ? createWasmBackend({ threads: 2 }) : jsBackend;
  const model = await loadOnnx(MODEL);
  const rows: (string | number)[][] = [];
  const exactRuns: ModelOutput[][] = [];
  const thresholdRuns: ModelOutput[][] = [];
  const chosen: string[] = [];
  let worst: { clip: string; outputs: ModelOutput[]; times: number[] } | undefined;
  for (const clip of CLIPS) {
    const frames = await readFrames(resolve(DATA, 'videos', clip.file), clip.frames, { width: 320, height: 240 });
    const maps = await firstValueFrom(from(frames).pipe(model.preprocess({ mean: 127, scale: 1 / 128 }), toArray()));
    const ort1 = await measureRuntime(maps, 1);
    const ort2 = await measureRuntime(maps, 2);
    const faces = ort1.outputs.reduce((n, o) => n + decodeUltraFace({ scores: o.scores!, boxes: o.boxes! }).length, 0);
    const row = (who: string, tau: string, times: number[], macs: string, p99: string) => rows.push([clip.file, who, tau, fps(times), latency(times), macs, p99]);
    row(`onnxruntime-node, 1 thread (${faces} faces in ${maps.length} frames)`, '-', ort1.times, '100%', '-');
    row('onnxruntime-node, 2 threads', '-', ort2.times, '100%', '-');
    const dense = await measure(model, maps, { backend: oneThread, keyframeEvery: 1 });
    row(`rx-rrm dense path (${oneThread.name})`, '0', dense.times, pct(macFraction(dense.outputs)), agreement(dense.outputs, ort1.outputs).p99.toFixed(4));
    const exact = await measure(model, maps, { backend: oneThread });
    row(`rx-rrm exact (${oneThread.name})`, '0', exact.times, pct(macFraction(exact.outputs)), agreement(exact.outputs, ort1.outputs).p99.toFixed(4));
    exactRuns.push(exact.outputs);
    // τ* with absolute thresholds and with relative ones, side by side; 2 threads and profiles at the
    // mode that needed fewer multiply-adds on this clip.
    let best: Searched | undefined;
    for (const thresholdMode of THRESHOLD_MODES) {
      const found = await searchThreshold(model, maps, ort1.outputs, { backend: oneThread, thresholdMode });
      if (!found) {
        chosen.push(`${clip.file}: no ${thresholdMode} τ in [${SEARCH.join(', ')}] keeps detections and p99 deviation ≤ ${MAX_P99_DEVIATION}`);
        continue;
      }
      row(`rx-rrm at ${thresholdMode} τ* (${oneThread.name}, 1 thread)`, String(found.threshold), found.measured.times, pct(macFraction(found.measured.outputs)), found.p99.toFixed(4));
      chosen.push(`${clip.file}: ${thresholdMode} τ* = ${found.threshold}, ${pct(macFraction(found.measured.outputs))} of dense MACs (${(median(ort1.times) / median(found.measured.times)).toFixed(2)}x onnxruntime 1 thread)`);
      if (!best || macFraction(found.measured.outputs) < macFraction(best.measured.outputs)) best = found;
    }
    if (best) {
      const two = await measure(model, maps, { backend: twoThreads, threshold: best.threshold, thresholdMode: best.thresholdMode });
      row(`rx-rrm at ${best.thresholdMode} τ* (${twoThreads.name}, 2 threads)`, String(best.threshold), two.times, pct(macFraction(two.outputs)), agreement(two.outputs, ort1.outputs).p99.toFixed(4));
      thresholdRuns.push(best.measured.outputs);
      const slowest = Math.max(...best.measured.times);
      if (!worst || slowest > Math.max(...worst.times)) worst = { clip: `${clip.file}, ${best.thresholdMode} τ = ${best.threshold}`, outputs: best.measured.outputs.slice(1), times: best.measured.times };
    }
  }
  console.log(`UltraFace-slim-320, 320x240, frames after the first; fps = 1000 / median ms per frame; τ* searched over ${SEARCH.join(', ')}`);
  printTable(['clip', 'implementation', 'τ', 'fps', 'ms/frame median / p99', 'MACs done (of dense)', 'p99 max face-score deviation'], rows);
  console.log(`\nchosen thresholds:\n  ${chosen.join('\n  ')}`);
  console.log(`(relative τ: each layer's τ is τ times its input's magnitude over the model input's, measured on the first frame: docs/architecture.md)`);
  const exact = activeFractions(exactRuns);
  const thresholded = activeFractions(thresholdRuns);
  console.log(`\nper-layer active input fraction over all clips (median, p90), exact and at each clip's τ* (the mode with fewer MACs):`);
  printTable(
    ['layer', 'τ=0 median', 'τ=0 p90', 'τ* median', 'τ* p90'],
    [...exact.keys()].map((layer) => {
      const a = exact.get(layer)!;
      const b = thresholded.get(layer) ?? [];
      return [layer, pct(median(a)), pct(percentile(a, 90)), b.length ? pct(median(b)) : '-', b.length ? pct(percentile(b, 90)) : '-'];
    }),
  );
  if (worst) {
    const k = worst.times.indexOf(Math.max(...worst.times));
    const frame = worst.outputs[k]!;
    console.log(`\nwhere the time goes: the slowest frame at τ* (${worst.clip}, frame ${frame.index}, ${worst.times[k]!.toFixed(1)} ms), its 10 slowest layers:`);
    printTable(
      ['layer', 'kind', 'ms', 'active', 'dense?'],
      [...frame.stats].sort((a, b) => b.timeMs - a.timeMs).slice(0, 10).map((s) => [s.layer, s.kind, s.timeMs.toFixed(2), pct(s.activeFraction), s.dense ? 'yes' : 'no']),
    );
  }
}
