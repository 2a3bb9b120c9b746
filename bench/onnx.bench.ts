/**
 * UltraFace-slim-320 end to end on every clip of ../shared/data/videos (whole clips), rx-rrm
 * against onnxruntime-node, side by side in one process.
 *
 * What a user gets: a pass is the whole clip, frame by frame, from decoded RGB bytes to the model's
 * outputs, preprocessing included on both sides ((x − 127) / 128; onnxruntime's NCHW conversion is
 * a plain loop, rx-rrm's is `model.pipeline`), the first frame and every dense fallback included.
 * The headline is whole-clip throughput: frames / total time of the pass. Per-frame medians stand
 * beside it. onnxruntime runs with graphOptimizationLevel 'all' and as many threads as rx-rrm; its
 * figure is checked against a bare `session.run` loop over ready tensors.
 *
 * Accuracy bound (against onnxruntime's outputs for the same frames), per clip, as `rx-rrm run` and
 * `tune --metric detections` judge it (src/model/detections.ts):
 *   faces agree on every frame (no anchor ≥ 0.75 on one side and < 0.65 on the other, boxes matched);
 *   p99 over frames of the largest |Δ face score| among anchors ≥ 0.5 on either side ≤ 0.03;
 *   p99 over frames of the largest |Δ face score| over all anchors ≤ 0.1.
 * τ* is the largest τ of the ladder inside the bound, searched with absolute and relative
 * thresholds; the mode that needs fewer multiply-adds is timed.
 *
 * Thresholds chosen by the task: `tuneThresholds` with the detections judge, on the first
 * `ONNX_BENCH_CALIBRATION` frames (default 100) of each clip, per layer; its agreement on the frames
 * after those (held out) is reported beside its speed over the whole clip.
 *
 * Rounds: `ONNX_BENCH_ROUNDS` (default 5); in each, every contender runs the clip once, in turn.
 * A ratio is the median over rounds of the per-round ratio (with its range): the machines here
 * drift by ±30% within minutes, and a ratio taken within one round cancels most of that.
 * `ONNX_BENCH_CLIPS=car,bottle` limits the clips (substrings of the file names);
 * `ONNX_BENCH_FRAMES=N` the frames per clip.
 */
import { firstValueFrom, from, ignoreElements, tap, toArray } from 'rxjs';
import { existsSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import type { KernelBackend } from '../src/kernels/backend.js';
import { createNativeBackend, nativeKernelStatus } from '../src/kernels/native/native-backend.js';
import { detectionAgreement, detectionsJudge, knownDecoder, loadOnnx, tuneThresholds, type DetectionAgreement, type DetectionDecoder, type FrameDetectionComparison, type ModelOutput, type ModelPipelineOptions, type OnnxModel, THRESHOLD_MODES, type ThresholdMode } from '../src/model/index.js';
import type { Frame } from '../src/types.js';
import { readFrames } from '../test/helpers/onnx-video.js';
import { modelPath, SHARED_DATA, videoPath } from '../test/helpers/shared-data.js';
import { median, percentile, printTable } from './harness.js';
import { nchwFloats } from './nchw.js';

const MODEL = modelPath('ultraface-slim-320.onnx');
const VIDEOS = videoPath('');
const LADDER = [0.002, 0.003, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.04, 0.05, 0.07, 0.1];
const ROUNDS = Math.max(1, Number(process.env.ONNX_BENCH_ROUNDS ?? 5));
const MAX_FRAMES = Number(process.env.ONNX_BENCH_FRAMES ?? Infinity);
const CALIBRATION_FRAMES = Number(process.env.ONNX_BENCH_CALIBRATION ?? 100);
const WARM_UP_FRAMES = 30;
const PREPROCESS = { mean: 127, scale: 1 / 128 };
const WIDTH = 320;
const HEIGHT = 240;

/** onnxruntime with the best settings a user would give it, on `threads` threads. */
async function onnxruntimeSession(threads: number): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(MODEL, { intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all', logSeverityLevel: 3 });
}

/** What a user hands `session.run`: see nchw.ts. */
function nchwInput(frame: Frame): ort.Tensor {
  return new ort.Tensor('float32', nchwFloats(frame), [1, 3, frame.height, frame.width]);
}

interface Pass {
  /** Wall time of the whole clip, ms. */
  readonly totalMs: number;
  /** Each frame's ms. */
  readonly frameMs: number[];
}

/** One onnxruntime pass over the clip; `onOutput` sees each frame's outputs (as rx-rrm's, for the same comparison). */
async function onnxruntimePass(session: ort.InferenceSession, frames: readonly Frame[], onOutput?: (output: ModelOutput) => void): Promise<Pass> {
  const frameMs: number[] = [];
  const started = performance.now();
  for (const frame of frames) {
    const t0 = performance.now();
    const result = await session.run({ [session.inputNames[0]!]: nchwInput(frame) });
    frameMs.push(performance.now() - t0);
    if (onOutput) {
      const outputs = Object.fromEntries(Object.entries(result).map(([name, t]) => [name, { dims: t.dims.map(Number), data: t.data as Float32Array }]));
      onOutput({ outputs, index: frame.index, timestamp: frame.timestamp, keyframe: false, stats: [] });
    }
  }
  return { totalMs: performance.now() - started, frameMs };
}

/**
 * One rx-rrm pass (a fresh subscription, as a user starts a clip); `onOutput` sees each frame's
 * outputs. A frame's ms is the time since the previous output (since the start for the first): with
 * `threads: 2` outputs trail their inputs by the pipeline's depth, and the interval is what a frame costs.
 */
async function rrmPass(model: OnnxModel, frames: readonly Frame[], options: ModelPipelineOptions, onOutput?: (output: ModelOutput, ms: number) => void): Promise<Pass> {
  const frameMs: number[] = [];
  const started = performance.now();
  let last = started;
  await firstValueFrom(
    from(frames).pipe(
      model.pipeline({ preprocess: PREPROCESS, ...options }),
      tap((output) => {
        const now = performance.now();
        frameMs.push(now - last);
        last = now;
        onOutput?.(output, frameMs.at(-1)!);
      }),
      ignoreElements(),
    ),
    { defaultValue: undefined },
  );
  return { totalMs: performance.now() - started, frameMs };
}

interface Candidate {
  readonly threshold: number;
  readonly thresholdMode: ThresholdMode;
  readonly agreement: DetectionAgreement;
  /** Multiply-adds done over the dense count, frames after the first. */
  readonly macFraction: number;
}

/** Accuracy and multiply-adds of one threshold on the clip. */
async function evaluate(model: OnnxModel, decoder: DetectionDecoder, frames: readonly Frame[], reference: readonly ModelOutput[], backend: KernelBackend, threshold: number, thresholdMode: ThresholdMode): Promise<Candidate> {
  const compared: FrameDetectionComparison[] = [];
  let done = 0;
  let dense = 0;
  await rrmPass(model, frames, { threshold, thresholdMode, backend }, (output) => {
    compared.push(decoder.compare(output, reference[compared.length]!));
    if (compared.length === 1) return;
    for (const s of output.stats) {
      done += s.macs;
      dense += s.denseMacs;
    }
  });
  return { threshold, thresholdMode, agreement: detectionAgreement(compared), macFraction: done / dense };
}

/** Agreement with onnxruntime and multiply-adds over the frames after the first `skip` (held out from tuning), running the whole clip. */
async function heldOutAgreement(model: OnnxModel, decoder: DetectionDecoder, frames: readonly Frame[], reference: readonly ModelOutput[], skip: number, options: ModelPipelineOptions): Promise<{ agreement: DetectionAgreement; macFraction: number }> {
  const compared: FrameDetectionComparison[] = [];
  let done = 0;
  let dense = 0;
  let k = 0;
  await rrmPass(model, frames, options, (output) => {
    if (k >= skip) {
      compared.push(decoder.compare(output, reference[k]!));
      for (const s of output.stats) {
        done += s.macs;
        dense += s.denseMacs;
      }
    }
    k++;
  });
  return { agreement: detectionAgreement(compared), macFraction: done / dense };
}

/** The largest τ of the ladder inside the bound, per threshold mode (stopping at the first that fails). */
async function searchThreshold(model: OnnxModel, decoder: DetectionDecoder, frames: readonly Frame[], reference: readonly ModelOutput[], backend: KernelBackend, mode: ThresholdMode): Promise<Candidate | undefined> {
  let best: Candidate | undefined;
  for (const threshold of LADDER) {
    const candidate = await evaluate(model, decoder, frames, reference, backend, threshold, mode);
    if (!candidate.agreement.agree) break;
    best = candidate;
  }
  return best;
}

interface Contender {
  readonly label: string;
  readonly threads: 1 | 2;
  /** A pass over the clip, or over its first `frames` (the untimed warm-up). */
  run(frames?: number): Promise<Pass>;
}

interface Timed {
  readonly contender: Contender;
  readonly passes: Pass[];
}

async function timeRounds(contenders: readonly Contender[]): Promise<Timed[]> {
  const timed = contenders.map((contender) => ({ contender, passes: [] as Pass[] }));
  // Untimed: let V8 compile the JavaScript of every contender before the rounds.
  for (const contender of contenders) await contender.run(WARM_UP_FRAMES);
  for (let round = 0; round < ROUNDS; round++) for (const t of timed) t.passes.push(await t.contender.run());
  return timed;
}

/** Median and range over rounds of the per-round ratio baseline / contender. */
function ratio(contender: Timed, baseline: Timed, of: (pass: Pass) => number): { median: number; low: number; high: number } {
  const ratios = contender.passes.map((pass, round) => of(baseline.passes[round]!) / of(pass));
  return { median: median(ratios), low: Math.min(...ratios), high: Math.max(...ratios) };
}

const fps = (frames: number, pass: Pass) => (1000 * frames) / pass.totalMs;
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

export async function run(): Promise<void> {
  const clips = existsSync(VIDEOS) ? readdirSync(VIDEOS).filter((f) => /\.(mp4|gif|avi|mov|mkv|webm)$/.test(f)).sort() : [];
  const wanted = process.env.ONNX_BENCH_CLIPS?.split(',');
  const selected = wanted ? clips.filter((c) => wanted.some((w) => c.includes(w))) : clips;
  if (!existsSync(MODEL) || selected.length === 0) {
    console.log(`skipped: the UltraFace model or the clips are absent (${SHARED_DATA})`);
    return;
  }
  const native = nativeKernelStatus();
  console.log(`rx-rrm kernels: ${native.available ? `native ${native.instructionSets[0]}` : `not native (${native.reason})`}; onnxruntime-node ${ort.env.versions.common}; ${ROUNDS} rounds; preprocessing included on both sides`);
  const oneThread = createNativeBackend();
  const splitSteps = createNativeBackend({ threads: 2 });
  const model = await loadOnnx(MODEL);
  const decoder = knownDecoder(model);
  if (!decoder) throw new Error('no decoder for the UltraFace model');
  const ort1 = await onnxruntimeSession(1);
  const ort2 = await onnxruntimeSession(2);
  const summary: string[][] = [];
  const details: string[][] = [];
  const profiles: string[] = [];
  for (const clip of selected) {
    const frames = (await readFrames(resolve(VIDEOS, clip), MAX_FRAMES, { width: WIDTH, height: HEIGHT })).slice(0, MAX_FRAMES);
    const reference: ModelOutput[] = [];
    await onnxruntimePass(ort1, frames, (output) => reference.push(output));
    const searched: (Candidate | undefined)[] = [];
    for (const mode of THRESHOLD_MODES) searched.push(await searchThreshold(model, decoder, frames, reference, oneThread, mode));
    const passing = searched.filter((c): c is Candidate => c !== undefined);
    const chosen = passing.sort((a, b) => a.macFraction - b.macFraction)[0];
    const exact = await evaluate(model, decoder, frames, reference, oneThread, 0, 'absolute');
    // Per-layer thresholds tuned on the first frames, judged on the rest against onnxruntime.
    const calibrationFrames = frames.slice(0, Math.min(CALIBRATION_FRAMES, Math.floor(frames.length / 2)));
    const calibrationMaps = await firstValueFrom(from(calibrationFrames).pipe(model.preprocess(PREPROCESS), toArray()));
    const tune = await tuneThresholds(model, calibrationMaps, { judge: detectionsJudge(decoder), backend: oneThread });
    const heldOut = await heldOutAgreement(model, decoder, frames, reference, calibrationFrames.length, { thresholds: tune.thresholds, backend: oneThread });
    const tauOptions = chosen ? { threshold: chosen.threshold, thresholdMode: chosen.thresholdMode } : { threshold: 0 };
    const contenders: Contender[] = [
      { label: 'onnxruntime', threads: 1, run: (n) => onnxruntimePass(ort1, frames.slice(0, n)) },
      { label: 'rx-rrm dense path', threads: 1, run: (n) => rrmPass(model, frames.slice(0, n), { keyframeEvery: 1, backend: oneThread }) },
      { label: 'rx-rrm τ = 0', threads: 1, run: (n) => rrmPass(model, frames.slice(0, n), { threshold: 0, backend: oneThread }) },
      { label: 'rx-rrm τ*', threads: 1, run: (n) => rrmPass(model, frames.slice(0, n), { ...tauOptions, backend: oneThread }) },
      { label: 'rx-rrm tuned', threads: 1, run: (n) => rrmPass(model, frames.slice(0, n), { thresholds: tune.thresholds, backend: oneThread }) },
      { label: 'onnxruntime', threads: 2, run: (n) => onnxruntimePass(ort2, frames.slice(0, n)) },
      // The frame pipeline (what threads: 2 and --threads 2 run), and the native split of each step within one frame.
      { label: 'rx-rrm τ*', threads: 2, run: (n) => rrmPass(model, frames.slice(0, n), { ...tauOptions, backend: oneThread, threads: 2 }) },
      { label: 'rx-rrm τ*, steps split', threads: 2, run: (n) => rrmPass(model, frames.slice(0, n), { ...tauOptions, backend: splitSteps }) },
    ];
    const timed = await timeRounds(contenders);
    profiles.push(await slowestFrame(clip, model, frames, { ...tauOptions, backend: oneThread }));
    // The baseline's sanity check: a bare loop of session.run over ready tensors, no preprocessing.
    const tensors = frames.map(nchwInput);
    const bareStarted = performance.now();
    for (const tensor of tensors) await ort1.run({ [ort1.inputNames[0]!]: tensor });
    const bareMs = (performance.now() - bareStarted) / frames.length;
    const baseline = (threads: 1 | 2) => timed.find((t) => t.contender.label === 'onnxruntime' && t.contender.threads === threads)!;
    for (const t of timed) {
      const { label, threads } = t.contender;
      const base = baseline(threads);
      const whole = ratio(t, base, (p) => p.totalMs);
      const perFrame = ratio(t, base, (p) => median(p.frameMs));
      const p99 = percentile(t.passes.flatMap((p) => p.frameMs), 99);
      details.push([
        clip, `${label}, ${threads} thread${threads > 1 ? 's' : ''}`, median(t.passes.map((p) => fps(frames.length, p))).toFixed(1),
        label === 'onnxruntime' ? '1' : `**${whole.median.toFixed(2)}x** (${whole.low.toFixed(2)}–${whole.high.toFixed(2)})`,
        median(t.passes.map((p) => median(p.frameMs))).toFixed(2), label === 'onnxruntime' ? '1' : `${perFrame.median.toFixed(2)}x`, p99.toFixed(1),
      ]);
    }
    const star = timed[3]!;
    const starWhole = ratio(star, baseline(1), (p) => p.totalMs);
    const tunedWhole = ratio(timed[4]!, baseline(1), (p) => p.totalMs);
    const star2Whole = ratio(timed[6]!, baseline(2), (p) => p.totalMs);
    const exactWhole = ratio(timed[2]!, baseline(1), (p) => p.totalMs);
    const denseWhole = ratio(timed[1]!, baseline(1), (p) => p.totalMs);
    const searchedCells = THRESHOLD_MODES.map((mode, k) => {
      const c = searched[k];
      return c ? `${mode} ${c.threshold}: ${pct(c.macFraction)} (p99 ${c.agreement.p99FaceDeviation.toFixed(3)} / ${c.agreement.p99Deviation.toFixed(3)})` : `${mode}: none inside the bound`;
    });
    summary.push([
      `${clip} (${frames.length})`, `${median(baseline(1).passes.map((p) => fps(frames.length, p))).toFixed(1)} fps (bare loop ${bareMs.toFixed(2)} ms/frame)`,
      `${denseWhole.median.toFixed(2)}x`, `${exactWhole.median.toFixed(2)}x (${pct(exact.macFraction)})`,
      chosen ? `**${starWhole.median.toFixed(2)}x** (${starWhole.low.toFixed(2)}–${starWhole.high.toFixed(2)})` : 'n/a',
      chosen ? `**${star2Whole.median.toFixed(2)}x** (${star2Whole.low.toFixed(2)}–${star2Whole.high.toFixed(2)})` : 'n/a',
      searchedCells.join('; '),
      `${tunedWhole.median.toFixed(2)}x; ${pct(heldOut.macFraction)} MACs; held out: ${heldOut.agreement.agree ? 'inside' : '**outside**'} the bound (p99 ${heldOut.agreement.p99FaceDeviation.toFixed(3)} / ${heldOut.agreement.p99Deviation.toFixed(3)}, ${heldOut.agreement.framesDisagreeing} frames disagree)`,
    ]);
  }
  console.log('\nWhole-clip throughput against onnxruntime-node on as many threads (median of per-round ratios, range)\n');
  printTable(
    ['clip (frames)', 'onnxruntime 1 thread', 'rx-rrm dense path', 'rx-rrm τ = 0 (MACs)', 'rx-rrm τ*, 1 thread', 'rx-rrm τ*, 2 threads', 'τ* by mode: MACs (p99 face / all-anchor deviation)', `tuned per layer on the first ${CALIBRATION_FRAMES} frames (at most half): whole clip, 1 thread; held-out agreement`],
    summary,
  );
  console.log('\nEvery contender: fps over the clip, whole-clip ratio against onnxruntime on as many threads, per-frame median ms and its ratio, p99 ms\n');
  printTable(['clip', 'contender', 'fps', 'whole clip', 'median ms', 'per frame', 'p99 ms'], details);
  console.log('\nWhere the time goes: a pass at τ* (1 thread), its first frame and its slowest frame after the first, with that frame\'s most expensive layers\n');
  console.log(profiles.join('\n\n'));
  await ort1.release();
  await ort2.release();
}

/**
 * One more pass at τ*: the first frame's time (every engine created, every layer dense) and the
 * slowest later frame's most expensive layers (the layers' own stats).
 */
async function slowestFrame(clip: string, model: OnnxModel, frames: readonly Frame[], options: ModelPipelineOptions): Promise<string> {
  let first: number | undefined;
  let slowest: { ms: number; output: ModelOutput } | undefined;
  await rrmPass(model, frames, options, (output, ms) => {
    if (first === undefined) first = ms;
    else if (!slowest || ms > slowest.ms) slowest = { ms, output };
  });
  if (!slowest) return `${clip}: fewer than two frames`;
  const { ms, output } = slowest;
  const layers = [...output.stats].sort((a, b) => b.timeMs - a.timeMs).slice(0, 8);
  const rows = layers.map((s) => `  ${s.layer.padEnd(14)} ${s.timeMs.toFixed(2).padStart(6)} ms  ${s.dense ? 'dense' : `sparse, ${pct(s.activeFraction)} active`}`);
  return `${clip}: first frame ${first!.toFixed(2)} ms; slowest after it: frame ${output.index}, ${ms.toFixed(2)} ms (${pct(output.stats.filter((s) => s.dense).length / Math.max(1, output.stats.length))} of its layers dense)\n${rows.join('\n')}`;
}
