/**
 * Per-layer thresholds chosen by the task: each conv/fc layer's τ is raised along a ladder, front
 * to back, while a calibration run stays acceptable against the dense path (its detections agree,
 * or a chosen output's deviation stays within a bound); later layers are tuned on top of the
 * thresholds already chosen. What `rx-rrm tune` runs and the onnx benchmark uses.
 */
import { from, lastValueFrom, toArray } from 'rxjs';
import type { KernelBackend } from '../kernels/backend.js';
import type { FeatureMap } from '../types.js';
import { detectionAgreement, type DetectionDecoder } from './detections.js';
import type { ModelOperatorOptions, ModelOutput } from './executor.js';
import type { OnnxModel } from './model.js';
import type { ThresholdMode } from './threshold-mode.js';

/** Whether a trial run is acceptable against the dense path's outputs for the same frames. */
export interface Verdict {
  readonly acceptable: boolean;
  /** One line for a log. */
  readonly text: string;
}

export type Judge = (outputs: readonly ModelOutput[], reference: readonly ModelOutput[]) => Verdict;

export const DEFAULT_TUNE_LADDER: readonly number[] = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2];

export interface TuneOptions {
  readonly judge: Judge;
  /** Thresholds tried per layer, increasing (default `DEFAULT_TUNE_LADDER`). */
  readonly ladder?: readonly number[];
  readonly thresholdMode?: ThresholdMode;
  readonly backend?: KernelBackend;
  /** Called after every trial: trials done (skipped rungs counted as done) of the most there can be. */
  readonly onTrial?: (done: number, total: number, layer: string) => void;
}

export interface TunedLayer {
  readonly layer: string;
  readonly threshold: number;
  /** Multiply-adds done over dense once this layer is tuned (frames after the first). */
  readonly macFraction: number;
}

export interface TuneResult {
  /** τ per layer name, for `model.operator({ thresholds })` (layers left at 0 are absent). */
  readonly thresholds: Record<string, number>;
  readonly thresholdMode: ThresholdMode;
  readonly exact: Verdict & { readonly macFraction: number };
  readonly tuned: Verdict & { readonly macFraction: number };
  readonly layers: readonly TunedLayer[];
}

/** The layers' thresholds for `maps` (the calibration frames, at least two). */
export async function tuneThresholds(model: OnnxModel, maps: readonly FeatureMap[], options: TuneOptions): Promise<TuneResult> {
  if (maps.length < 2) throw new RangeError(`tuneThresholds: ${maps.length} calibration frames; at least 2 are needed`);
  const ladder = options.ladder ?? DEFAULT_TUNE_LADDER;
  if (ladder.some((t, i) => !(t > 0) || !Number.isFinite(t) || (i > 0 && t <= ladder[i - 1]!))) {
    throw new RangeError(`tuneThresholds: the ladder must be increasing positive thresholds, got ${ladder.join(', ')}`);
  }
  const thresholdMode = options.thresholdMode ?? 'absolute';
  const backend = options.backend ? { backend: options.backend } : {};
  const reference = await runModel(model, maps, { keyframeEvery: 1, ...backend });
  const trial = async (thresholds: Record<string, number>) => {
    const outputs = await runModel(model, maps, { thresholds, thresholdMode, ...backend });
    return { ...options.judge(outputs, reference), macFraction: macFraction(outputs.slice(1)) };
  };
  const thresholds: Record<string, number> = {};
  const exact = await trial(thresholds);
  let current = exact;
  const layers: TunedLayer[] = [];
  const total = model.layers.length * ladder.length;
  let done = 0;
  for (const layer of model.layers) {
    let tried = 0;
    for (const threshold of ladder) {
      tried++;
      const verdict = await trial({ ...thresholds, [layer]: threshold });
      options.onTrial?.(++done, total, layer);
      if (!verdict.acceptable) break;
      thresholds[layer] = threshold;
      current = verdict;
    }
    // The rest of this layer's ladder is skipped: count it as done, so progress estimates stay honest.
    done += ladder.length - tried;
    options.onTrial?.(done, total, layer);
    layers.push({ layer, threshold: thresholds[layer] ?? 0, macFraction: current.macFraction });
  }
  return { thresholds, thresholdMode, exact, tuned: current, layers };
}

/** Acceptable when the detections agree with the reference's (see `detectionAgreement`). */
export function detectionsJudge(decoder: DetectionDecoder): Judge {
  return (outputs, reference) => {
    const agreement = detectionAgreement(outputs.map((output, i) => decoder.compare(output, reference[i]!)));
    const text =
      `${agreement.frames - agreement.framesDisagreeing}/${agreement.frames} frames with the same faces, ` +
      `p99 face-score deviation ${agreement.p99FaceDeviation.toFixed(4)}, p99 score deviation ${agreement.p99Deviation.toFixed(4)}`;
    return { acceptable: agreement.agree, text };
  };
}

/** Multiply-adds done over dense, over the outputs given. */
export function macFraction(outputs: readonly ModelOutput[]): number {
  let macs = 0;
  let denseMacs = 0;
  for (const output of outputs) {
    for (const s of output.stats) {
      macs += s.macs;
      denseMacs += s.denseMacs;
    }
  }
  return denseMacs > 0 ? macs / denseMacs : NaN;
}

function runModel(model: OnnxModel, maps: readonly FeatureMap[], options: ModelOperatorOptions): Promise<ModelOutput[]> {
  return lastValueFrom(from(maps).pipe(model.operator(options), toArray()));
}
