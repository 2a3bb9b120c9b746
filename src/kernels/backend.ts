/**
 * The narrow interface between RRM layers and the kernels that do their arithmetic. A backend owns
 * a layer's per-subscription state (Ĩ, P, scratch) in whatever memory suits it (JS typed arrays,
 * WebAssembly memory), so the layer never copies whole maps across that boundary.
 */
import type { Activation } from '../types.js';
import type { ConvGeometry } from './geometry.js';
import type { NativeBackendOptions } from './native/native-backend.js';
import type { WasmBackendOptions } from './wasm/wasm-backend.js';

/** Immutable weights of a linear layer, prepared once and shared by every subscription. */
export interface PreparedWeights {
  /** Weights in the scatter order `[kH, kW, inC, outC/groups]` (see `pack.ts`). */
  readonly packed: Float32Array;
  readonly bias: Float32Array | undefined;
}

export interface DeltaResult {
  /**
   * Input pixels integrated this frame. After a dense recompute (`dense`), detection stopped as soon
   * as the count passed the crossover, so this is that count: a lower bound of the true one.
   */
  readonly activePixels: number;
  /** Multiply-adds performed. */
  readonly macs: number;
  /** True when the backend recomputed densely because the active fraction passed its crossover. */
  readonly dense: boolean;
  /**
   * Output pixels whose projection changed (only when `dense` is false); first `touchedCount` valid.
   * The engine's own list (possibly a view on wasm memory): read it before the next call.
   */
  readonly touched: Int32Array;
  readonly touchedCount: number;
  /** The active input pixels, first `activePixels` valid (a view; read it before the next call). */
  readonly activeList?: Int32Array;
}

/** The non-linearity a layer applies to its projection. */
export interface EngineActivation {
  readonly kind: Activation;
  /** Negative slope of `'leakyRelu'`. */
  readonly leakyReluAlpha: number;
}

export const NO_ACTIVATION: EngineActivation = { kind: 'none', leakyReluAlpha: 0.01 };

/** One subscription's state of one conv (or fully-connected) layer. */
export interface ConvEngine {
  /** The projection P, `outH · outW · outC` values, HWC. Valid until the next call. */
  readonly projection: Float32Array;
  /**
   * The layer's output f(P), kept whole by `keyframe` and `update` (which recompute it only where P
   * changed). A view on the engine's memory, valid until the next call on this engine or until
   * another engine of the same backend is created (which may grow that memory): the next layer of a
   * fused graph reads it in place; anything kept longer must be a copy.
   */
  readonly output: Float32Array;
  /** Dense recompute: `P = W·input + b`, `Ĩ = input`, `output = f(P)`; throws a `RangeError` for NaN or ±Infinity in the input. */
  keyframe(input: Float32Array): void;
  /**
   * Delta step: integrate the pixels with `max_c |input − Ĩ| > threshold`, looking only at the
   * `candidates` when given (every other pixel is known unchanged since the previous call).
   * Recomputes densely (as `keyframe`) when more than `denseFraction` of the input pixels are
   * active, which detection finds out without scanning the rest.
   * `input` and `candidates` may be views on the engine's own memory (the previous layer's
   * `output` and touched list): the engine then reads them in place instead of copying them.
   * Throws a `RangeError` when an active pixel holds NaN or ±Infinity.
   */
  update(
    input: Float32Array,
    threshold: number,
    candidates: Int32Array | null,
    candidateCount: number,
    denseFraction: number,
  ): DeltaResult;
  /** Release the state; the engine is unusable afterwards. */
  dispose(): void;
}

export interface KernelBackend {
  readonly name: string;
  /**
   * How another thread builds the same backend (the stage worker of `threads: 2` models): the
   * factory and its options. Backends without one run on the caller's thread only.
   */
  readonly recipe?: BackendRecipe;
  /** Active fraction above which this backend's sparse update of such a layer is slower than its dense conv (measured). */
  denseCrossover(geometry: ConvGeometry): number;
  /** `activation` defaults to none (the output is P). */
  createConvEngine(geometry: ConvGeometry, weights: PreparedWeights, activation?: EngineActivation): ConvEngine;
}

/** A backend factory and its options, structured-cloneable (`KernelBackend.recipe`, `backendFromRecipe`). */
export type BackendRecipe =
  | { readonly factory: 'native'; readonly options: Omit<NativeBackendOptions, 'notice'> }
  | { readonly factory: 'wasm'; readonly options: Omit<WasmBackendOptions, 'notice'> }
  | { readonly factory: 'js' };
