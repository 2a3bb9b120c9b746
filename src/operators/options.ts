/** Option checks shared by the linear-layer operators. */
import { ACTIVATIONS } from '../kernels/activation.js';
import { findNonFinite } from '../kernels/non-finite.js';
import { RrmInputError } from '../layers/validate.js';
import type { KernelBackend } from '../kernels/backend.js';
import type { Padding } from '../kernels/geometry.js';
import { isWindowOptionProblem, windowPadding, windowPair } from '../layers/window-options.js';
import { maxTensorElementsOf } from '../kernels/validate-geometry.js';
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
  /**
   * Largest number of values one buffer of the layer may hold (input, padded input, projection,
   * weights), checked against each input size before anything is allocated; default 2^26.
   */
  readonly maxTensorElements?: number;
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
  if (options.bias) requireFiniteValues(name, 'bias', options.bias);
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
  const alpha = options.leakyReluAlpha ?? 0.01;
  if (typeof alpha !== 'number' || !Number.isFinite(alpha)) throw new RrmInputError(`${name}: leakyReluAlpha must be a finite number, got ${String(alpha)}`);
  let maxTensorElements: number | undefined;
  try {
    maxTensorElements = options.maxTensorElements === undefined ? undefined : maxTensorElementsOf(options);
  } catch (error) {
    throw new RrmInputError(`${name}: ${(error as Error).message}`);
  }
  return { activation, leakyReluAlpha: alpha, threshold, denseFraction, maxTensorElements, ...(thresholdScale ? { thresholdScale } : {}) };
}

/** `n` or `[h, w]` as `[h, w]` of positive integers. */
export function pair(name: string, label: string, value: number | readonly [number, number]): [number, number] {
  const result = windowPair(value);
  if (isWindowOptionProblem(result)) throw new RrmInputError(`${name}: ${label} ${result.problem}`);
  return result;
}

/** A padding option checked and copied (see `windowPadding`). */
export function paddingOption(name: string, value: unknown): Padding {
  const result = windowPadding(value);
  if (isWindowOptionProblem(result)) throw new RrmInputError(`${name}: padding ${result.problem}`);
  return result;
}

/** Weights and biases are read by every frame's arithmetic: one NaN would poison every output it reaches. */
export function requireFiniteValues(name: string, label: string, values: Float32Array): void {
  const bad = findNonFinite(values);
  if (bad >= 0) throw new RrmInputError(`${name}: ${label}[${bad}] is ${values[bad]}; expected finite numbers`);
}
