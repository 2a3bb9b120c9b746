/**
 * `rx-rrm tune`: per-layer thresholds found greedily, front to back, on a calibration clip. Each
 * layer's τ is raised along a ladder while the largest output deviation from the dense path stays
 * within the bound; the last τ that kept it is kept, and the next layer is tuned on top of it.
 * With `--threshold-mode relative` the ladder is in relative units (τ times the layer input's
 * magnitude over the model input's), and the file says so for `run`.
 */
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { from, lastValueFrom, take, toArray } from 'rxjs';
import type { KernelBackend } from '../../kernels/backend.js';
import type { ModelOperatorOptions, ModelOutput } from '../../model/executor.js';
import { loadOnnx, type OnnxModel } from '../../model/model.js';
import type { FeatureMap } from '../../types.js';
import { UsageError } from '../errors.js';
import { openInput } from '../input.js';
import { backendOption, MODEL_OPTIONS, optionalNumber, parseSize, preprocessOptions, requireString, thresholdModeOption } from '../model-options.js';
import { deviationByOutput } from './run.js';

export const TUNE_USAGE = `rx-rrm tune --model m.onnx --input clip --max-deviation D --out thresholds.json
  [--frames N (default 40)] [--outputs name,name (default all)] [--ladder 0.002,0.005,...]
  [--threshold-mode absolute|relative (default absolute; the ladder is in its units)] and the input options of run`;

const DEFAULT_LADDER = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2];

export async function tuneCommand(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: { ...MODEL_OPTIONS, 'max-deviation': { type: 'string' }, out: { type: 'string' }, frames: { type: 'string' }, outputs: { type: 'string' }, ladder: { type: 'string' } },
    strict: true,
  });
  const model = await loadOnnx(requireString(values, 'model', 'the ONNX model to tune'));
  const inputSpec = requireString(values, 'input', 'a calibration clip');
  const bound = optionalNumber(values, 'max-deviation', (n) => n > 0, 'a positive number');
  if (bound === undefined) throw new UsageError('--max-deviation is required: the largest output deviation from the dense path to accept');
  const out = requireString(values, 'out', 'where to write the thresholds (JSON)');
  const frameCount = optionalNumber(values, 'frames', (n) => Number.isInteger(n) && n > 1, 'a whole number > 1') ?? 40;
  const ladder = values.ladder ? String(values.ladder).split(',').map(Number) : DEFAULT_LADDER;
  if (ladder.some((t) => !(t > 0)) || ladder.some((t, i) => i > 0 && t <= ladder[i - 1]!)) throw new UsageError(`--ladder: expected increasing positive thresholds`);
  const thresholdMode = thresholdModeOption(values) ?? 'absolute';
  const backend = backendOption(values);
  const input = await openInput(inputSpec, parseSize(values));
  const maps = await lastValueFrom(input.frames.pipe(take(frameCount), model.preprocess(preprocessOptions(values)), toArray()));
  if (maps.length < 2) throw new UsageError(`--input ${inputSpec}: the calibration clip needs at least 2 frames, got ${maps.length}`);
  const outputNames = values.outputs ? String(values.outputs).split(',') : model.outputs.map((o) => o.name);
  const missing = outputNames.filter((name) => !model.outputs.some((o) => o.name === name));
  if (missing.length) throw new UsageError(`--outputs: the model has no output ${missing.join(', ')} (it has ${model.outputs.map((o) => o.name).join(', ')})`);

  const reference = await runAll(model, maps, { keyframeEvery: 1, backend });
  const evaluate = async (thresholds: Record<string, number>) => {
    const outputs = await runAll(model, maps, { thresholds, thresholdMode, backend });
    let deviation = 0;
    let macs = 0;
    let denseMacs = 0;
    outputs.forEach((output, i) => {
      const byOutput = deviationByOutput(output, reference[i]!);
      for (const name of outputNames) deviation = Math.max(deviation, byOutput[name]!);
      for (const s of output.stats) {
        macs += s.macs;
        denseMacs += s.denseMacs;
      }
    });
    return { deviation, macFraction: macs / denseMacs };
  };

  const thresholds: Record<string, number> = {};
  let current = await evaluate(thresholds);
  console.log(`tuning ${model.layers.length} layers on ${maps.length} frames (${thresholdMode} thresholds), max deviation ${bound}; exact: ${(current.macFraction * 100).toFixed(1)}% of dense multiply-adds`);
  for (const layer of model.layers) {
    for (const tau of ladder) {
      const trial = await evaluate({ ...thresholds, [layer]: tau });
      if (trial.deviation > bound) break;
      thresholds[layer] = tau;
      current = trial;
    }
    console.log(`  ${layer.padEnd(40)} τ = ${String(thresholds[layer] ?? 0).padEnd(6)} -> ${(current.macFraction * 100).toFixed(1)}% of dense, deviation ${current.deviation.toExponential(2)}`);
  }
  await writeFile(out, JSON.stringify({ maxDeviation: bound, frames: maps.length, macFraction: current.macFraction, deviation: current.deviation, thresholdMode, thresholds }, null, 2));
  console.log(`thresholds: ${out} (${(current.macFraction * 100).toFixed(1)}% of dense multiply-adds, max deviation ${current.deviation.toExponential(2)} on the calibration clip)`);
}

function runAll(model: OnnxModel, maps: FeatureMap[], options: ModelOperatorOptions & { backend: KernelBackend }): Promise<ModelOutput[]> {
  return lastValueFrom(from(maps).pipe(model.operator(options), toArray()));
}
