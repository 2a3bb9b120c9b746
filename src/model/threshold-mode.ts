/**
 * Relative thresholds of a model (`thresholdMode: 'relative'`): a layer's τ is
 * `threshold · s(its input) / s(model input)`, with `s` = `inputScale` (src/layers/input-scale.ts)
 * and both measured on a subscription's first frame. At the network input that is the absolute τ;
 * deeper, τ follows the layer's own magnitude.
 */
import { inputScale, isUniform } from '../layers/input-scale.js';
import { RrmInputError } from '../layers/validate.js';
import type { FeatureMap } from '../types.js';

export type ThresholdMode = 'absolute' | 'relative';
export const THRESHOLD_MODES: readonly ThresholdMode[] = ['absolute', 'relative'];

export function isThresholdMode(value: unknown): value is ThresholdMode {
  return (THRESHOLD_MODES as readonly unknown[]).includes(value);
}

export function checkThresholdMode(mode: unknown): ThresholdMode {
  if (mode === undefined) return 'absolute';
  if (!isThresholdMode(mode)) throw new RrmInputError(`thresholdMode must be one of ${THRESHOLD_MODES.join(', ')}, got ${JSON.stringify(mode)}`);
  return mode;
}

/**
 * s(model input) of a subscription's first frame. A uniform frame (blank, or one grey level) has no
 * meaningful magnitude — a grey just off the mean would make every deeper τ a hundred times too
 * large — so it counts as 0, which makes every layer exact for that subscription.
 */
export function modelInputScale(map: FeatureMap): number {
  return isUniform(map) ? 0 : inputScale(map);
}

/**
 * The `thresholdScale` shared by the relative layers of one model operator. Layers measure their
 * scale inside `step`, synchronously within one frame of one subscription, so the executor sets
 * `reference` to that subscription's model-input scale before each frame runs: subscriptions never
 * see each other's.
 */
export class RelativeScales {
  reference = 0;

  readonly layerScale = (input: FeatureMap): number => (this.reference > 0 ? inputScale(input) / this.reference : 0);
}
