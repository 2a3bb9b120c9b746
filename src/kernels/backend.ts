/**
 * The narrow interface between RRM layers and the kernels that do their arithmetic. A backend owns
 * a layer's per-subscription state (Ĩ, P, scratch) in whatever memory suits it (JS typed arrays,
 * WebAssembly memory), so the layer never copies whole maps across that boundary.
 */
import type { Activation } from '../types.js';
import type { ConvGeometry } from './geometry.js';

/** Immutable weights of a linear layer, prepared once and shared by every subscription. */
export interface PreparedWeights {
  /** Weights in the scatter order `[kH, kW, inC, outC/groups]` (see `pack.ts`). */
  readonly packed: Float32Array;
  readonly bias: Float32Array | undefined;
}

export interface DeltaResult {
  /** Input pixels integrated this frame. */
  readonly activePixels: number;
  /** Multiply-adds performed. */
  readonly macs: number;
  /** True when the backend recomputed densely because the active fraction passed its crossover. */
  readonly dense: boolean;
  /** Output pixels whose projection changed (only when `dense` is false); first `touchedCount` valid. */
  readonly touched: Int32Array;
  readonly touchedCount: number;
  /** The active input pixels, first `activePixels` valid (a view; read it before the next call). */
  readonly activeList?: Int32Array;
}

/** One subscription's state of one conv (or fully-connected) layer. */
export interface ConvEngine {
  /** The projection P, `outH · outW · outC` values, HWC. Valid until the next call. */
  readonly projection: Float32Array;
  /** `output = f(P)` over the whole map (after a dense recompute), in the engine's own memory where it can. */
  activateAll(kind: Activation, leakyReluAlpha: number, output: Float32Array): void;
  /** Dense recompute: `P = W·input + b` and `Ĩ = input`; throws a `RangeError` for NaN or ±Infinity in the input. */
  keyframe(input: Float32Array): void;
  /**
   * Delta step: integrate the pixels with `max_c |input − Ĩ| > threshold`, looking only at the
   * `candidates` when given (every other pixel is known unchanged since the previous call).
   * Recomputes densely when more than `denseFraction` of the input pixels are active.
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
  /** Active fraction above which this backend's sparse update of such a layer is slower than its dense conv (measured). */
  denseCrossover(geometry: ConvGeometry): number;
  createConvEngine(geometry: ConvGeometry, weights: PreparedWeights): ConvEngine;
}
