/**
 * `rx-rrm tune`: per-layer thresholds found greedily, front to back, on the calibration part of a
 * clip. Each layer's τ is raised along a ladder while the run stays acceptable — its detections
 * agree with the dense path's (`--metric detections`, for models with a known decoder), or the
 * largest deviation of the chosen outputs stays within `--max-deviation` — and the next layer is
 * tuned on top of it. The held-out rest of the clip then says whether the thresholds carry over.
 * With `--threshold-mode relative` the ladder is in relative units, and the file says so for `run`.
 */
import { writeFile } from 'node:fs/promises';
import cliProgress from 'cli-progress';
import { from, lastValueFrom, take, toArray } from 'rxjs';
import { DETECTION_AGREEMENT, knownDecoder } from '../../model/detections.js';
import type { KernelBackend } from '../../kernels/backend.js';
import type { ModelOperatorOptions, ModelOutput } from '../../model/executor.js';
import { loadOnnx, type OnnxModel } from '../../model/model.js';
import type { FeatureMap } from '../../types.js';
import { DEFAULT_TUNE_LADDER, detectionsJudge, macFraction, tuneThresholds, type Judge } from '../../model/tune.js';
import { parseCommandArgs } from '../args.js';
import { UsageError } from '../errors.js';
import { openInput } from '../input.js';
import { backendOption, INPUT_OPTIONS, INPUT_USAGE, inputOptions, MODEL_OPTIONS, optionalNumber, preprocessOptions, requireString, thresholdModeOption } from '../model-options.js';
import { deviationByOutput } from './run.js';

export const TUNE_USAGE = `rx-rrm tune --model m.onnx --input clip --out thresholds.json
  --metric detections                      keep detections as the dense path's (the default for models with a known
                                           decoder, UltraFace today): same faces on every frame, p99 face-score
                                           deviation <= ${DETECTION_AGREEMENT.p99FaceDeviation}, p99 score deviation <= ${DETECTION_AGREEMENT.p99Deviation}
  --metric deviation --max-deviation D     keep the largest deviation of --outputs from the dense path <= D
  --outputs name,name                      the outputs --max-deviation bounds (default: a known decoder's scores, else all)
  --frames N                               frames read from the clip (default 60)
  --holdout F                              the last F of them (default 0.3) are held out: not tuned on, reported
  --ladder 0.002,0.005,...                 the thresholds tried per layer, increasing
  --threshold-mode absolute|relative       the units of the ladder (default absolute)
${INPUT_USAGE}`;

const TUNE_OPTIONS = {
  ...INPUT_OPTIONS,
  ...MODEL_OPTIONS,
  metric: { type: 'string' },
  'max-deviation': { type: 'string' },
  out: { type: 'string' },
  frames: { type: 'string' },
  holdout: { type: 'string' },
  outputs: { type: 'string' },
  ladder: { type: 'string' },
} as const;

export async function tuneCommand(args: string[]): Promise<void> {
  const values = parseCommandArgs('tune', args, TUNE_OPTIONS, TUNE_USAGE);
  if (!values) return;
  const model = await loadOnnx(requireString(values, 'model', 'the ONNX model to tune'));
  const decoder = knownDecoder(model);
  const inputSpec = requireString(values, 'input', 'a calibration clip');
  const out = requireString(values, 'out', 'where to write the thresholds (JSON)');
  const bound = optionalNumber(values, 'max-deviation', (n) => n > 0, 'a positive number');
  const metric = values.metric ?? (bound === undefined && decoder ? 'detections' : 'deviation');
  if (metric !== 'detections' && metric !== 'deviation') throw new UsageError(`--metric ${String(metric)}: expected detections or deviation`);
  if (metric === 'detections' && !decoder) throw new UsageError('--metric detections needs a model whose detections rx-rrm decodes (UltraFace-style scores and boxes); use --metric deviation --max-deviation D');
  if (metric === 'deviation' && bound === undefined) throw new UsageError('--max-deviation is required with --metric deviation: the largest output deviation from the dense path to accept');
  const frameCount = optionalNumber(values, 'frames', (n) => Number.isInteger(n) && n >= 4, 'a whole number >= 4') ?? 60;
  const holdout = optionalNumber(values, 'holdout', (n) => n > 0 && n < 1, 'a fraction between 0 and 1') ?? 0.3;
  const ladder = values.ladder ? String(values.ladder).split(',').map(Number) : DEFAULT_TUNE_LADDER;
  if (ladder.some((t) => !(t > 0) || !Number.isFinite(t)) || ladder.some((t, i) => i > 0 && t <= ladder[i - 1]!)) throw new UsageError(`--ladder ${String(values.ladder)}: expected increasing positive thresholds`);
  const thresholdMode = thresholdModeOption(values) ?? 'absolute';
  const outputNames = values.outputs ? String(values.outputs).split(',') : (decoder?.scoreOutputs ?? model.outputs.map((o) => o.name));
  const missing = outputNames.filter((name) => !model.outputs.some((o) => o.name === name));
  if (missing.length) throw new UsageError(`--outputs: the model has no output ${missing.join(', ')} (it has ${model.outputs.map((o) => o.name).join(', ')})`);
  const backend = backendOption(values);
  const runAll = runAllOn(model, backend);
  const input = await openInput(inputSpec, inputOptions(values));
  const maps = await lastValueFrom(input.frames.pipe(take(frameCount), model.preprocess(preprocessOptions(values)), toArray()));
  const heldOutCount = Math.max(1, Math.round(maps.length * holdout));
  const calibration = maps.slice(0, maps.length - heldOutCount);
  const heldOut = maps.slice(maps.length - heldOutCount);
  if (calibration.length < 2) throw new UsageError(`--input ${inputSpec}: ${maps.length} frames leave ${calibration.length} to calibrate on; at least 2 are needed (more --frames, or less --holdout)`);

  const judge: Judge =
    metric === 'detections'
      ? detectionsJudge(decoder!)
      : (outputs, reference) => {
          let deviation = 0;
          outputs.forEach((output, i) => {
            const byOutput = deviationByOutput(output, reference[i]!);
            for (const name of outputNames) deviation = Math.max(deviation, byOutput[name]!);
          });
          return { acceptable: deviation <= bound!, text: `max deviation of ${outputNames.join(', ')} ${deviation.toExponential(2)} (bound ${bound})` };
        };
  const target = metric === 'detections' ? `detections agree with the dense path (${decoder!.name})` : `max deviation of ${outputNames.join(', ')} <= ${bound}`;
  console.log(`tuning ${model.layers.length} layers on ${calibration.length} calibration frames, ${heldOut.length} held out (${thresholdMode} thresholds): ${target}`);
  const referenceFaces = decoder ? (await runAll(calibration, { keyframeEvery: 1 })).reduce((n, output) => n + decoder.detect(output).length, 0) : 0;
  if (metric === 'detections' && referenceFaces === 0) {
    console.log(`warning: the dense path detects nothing in the ${calibration.length} calibration frames, so every threshold keeps "the same" detections: calibrate on frames with faces (--start, --frames)`);
  }
  const bar = progressBar(model.layers.length * ladder.length);
  const result = await tuneThresholds(model, calibration, { judge, ladder, thresholdMode, backend, onTrial: (done, _total, layer) => bar.update(done, { layer }) });
  bar.stop();
  const { thresholds, exact, tuned } = result;
  console.log(`  exact (τ = 0): ${percent(exact.macFraction)} of dense multiply-adds; ${exact.text}`);
  console.log(result.layers.map((l) => `  ${l.layer.padEnd(28)} τ = ${String(l.threshold).padEnd(6)} -> ${percent(l.macFraction)} of dense multiply-adds`).join('\n'));
  const heldOutOutputs = await runAll(heldOut, { thresholds, thresholdMode });
  const heldOutVerdict = { ...judge(heldOutOutputs, await runAll(heldOut, { keyframeEvery: 1 })), macFraction: macFraction(heldOutOutputs.slice(1)) };
  console.log(`calibration (${calibration.length} frames): ${percent(tuned.macFraction)} of dense multiply-adds; ${tuned.text}`);
  console.log(`held out    (${heldOut.length} frames): ${percent(heldOutVerdict.macFraction)} of dense multiply-adds; ${heldOutVerdict.text}${heldOutVerdict.acceptable ? '' : '  <- NOT within the target: calibrate on more, or more varied, frames'}`);
  await writeFile(
    out,
    JSON.stringify(
      {
        metric,
        ...(metric === 'deviation' ? { maxDeviation: bound, outputs: outputNames } : { decoder: decoder!.name }),
        thresholdMode,
        calibration: { frames: calibration.length, ...(decoder ? { detections: referenceFaces } : {}), macFraction: tuned.macFraction, result: tuned.text },
        heldOut: { frames: heldOut.length, macFraction: heldOutVerdict.macFraction, acceptable: heldOutVerdict.acceptable, result: heldOutVerdict.text },
        thresholds,
      },
      null,
      2,
    ),
  );
  console.log(`thresholds: ${out} (for rx-rrm run --thresholds ${out})`);
}

function percent(fraction: number): string {
  return `${(fraction * 100).toFixed(1)}%`;
}

/** Trials done of the most there can be, with the time left; silent when stderr is not a terminal. */
function progressBar(total: number): { update(value: number, payload: { layer: string }): void; stop(): void } {
  if (!process.stderr.isTTY) return { update: () => {}, stop: () => {} };
  const bar = new cliProgress.SingleBar(
    { format: 'trials {value}/{total} [{bar}] {percentage}% ETA {eta_formatted} | {layer}', stream: process.stderr, hideCursor: true, etaBuffer: 20, clearOnComplete: true },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0, { layer: '' });
  return { update: (value, payload) => bar.update(value, payload), stop: () => bar.stop() };
}

/** The model over `maps` on the chosen backend. */
function runAllOn(model: OnnxModel, backend: KernelBackend) {
  return (maps: readonly FeatureMap[], options: ModelOperatorOptions): Promise<ModelOutput[]> =>
    lastValueFrom(from(maps).pipe(model.operator({ ...options, backend }), toArray()));
}
