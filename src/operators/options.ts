/** Option checks shared by the linear-layer operators. */
import { ACTIVATIONS } from '../kernels/activation.js';
import { RrmInputError } from '../layers/validate.js';
import type { KernelBackend } from '../kernels/backend.js';
import type { Activation, FeatureMap } from '../types.js';

/** Options every RRM layer operator (`rrmConv`, `rrmFc`) takes. */
export interface CommonLayerOptions {
  readonly bias?: Float32Array;
  readonly activation?: Activation;
  /** Negative slope of `'leakyRelu'` (default 0.01). */
  readonly leakyReluAlpha?: number;
  /** τ: input changes up to τ are deferred (bounded error); 0 (default) is exact. */
  readonly threshold?: number;
  /**
   * Makes τ relative to the input: the layer uses `threshold · thresholdScale(firstInput)`, measured
   * once per subscription on its first input.
   */
  readonly thresholdScale?: (input: FeatureMap) => number;
  /** Active fraction above which the layer recomputes densely (default: the backend's measured crossover). */
  readonly denseFraction?: number;
  readonly name?: string;
  /** Kernels (default: `defaultBackend()`, the fastest that loads here). */
  readonly backend?: KernelBackend;
}

/**
 * How a prepared layer emits its maps. `fused`: the engine's own output, updated in place frame
 * after frame, for layers inside one operator (a model graph) whose maps never reach user code;
 * otherwise a new array per changed item, since RxJS users hold emitted maps.
 */
export interface LayerEmission {
  readonly fused?: boolean;
}

export function checkLayerOptions(name: string, options: CommonLayerOptions, outputs: number) {
  if (options.bias !== undefined && (!(options.bias instanceof Float32Array) || options.bias.length !== outputs)) {
    throw new RrmInputError(`${name}: bias must be a Float32Array of ${outputs} values, got ${options.bias?.length ?? options.bias}`);
  }
  const activation = options.activation ?? 'none';
  if (!ACTIVATIONS.includes(activation)) {
    throw new RrmInputError(`${name}: activation must be one of ${ACTIVATIONS.join(', ')}, got ${String(activation)}`);
  }
  const threshold = options.threshold ?? 0;
  if (!(threshold >= 0) || !Number.isFinite(threshold)) {
    throw new RrmInputError(`${name}: threshold must be a finite number >= 0, got ${threshold}`);
  }
  const denseFraction = options.denseFraction;
  if (denseFraction !== undefined && !(denseFraction >= 0 && denseFraction <= 1)) {
    throw new RrmInputError(`${name}: denseFraction must be between 0 and 1, got ${denseFraction}`);
  }
  const { thresholdScale } = options;
  if (thresholdScale !== undefined && typeof thresholdScale !== 'function') {
    throw new RrmInputError(`${name}: thresholdScale must be a function of the first input map, got ${typeof thresholdScale}`);
  }
  return { activation, leakyReluAlpha: options.leakyReluAlpha ?? 0.01, threshold, denseFraction, ...(thresholdScale ? { thresholdScale } : {}) };
}

/** `n` or `[h, w]` as `[h, w]` of positive integers. */
export function pair(name: string, label: string, value: number | readonly [number, number]): [number, number] {
  const result: [number, number] = typeof value === 'number' ? [value, value] : [value[0], value[1]];
  if (!result.every((v) => Number.isInteger(v) && v > 0)) {
    throw new RrmInputError(`${name}: ${label} must be a positive integer or a pair of them, got ${JSON.stringify(value)}`);
  }
  return result;
}
