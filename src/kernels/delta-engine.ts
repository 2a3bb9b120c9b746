/**
 * The delta update, written once for every backend: detect the active pixels, fall back to a dense
 * recompute past the crossover, refuse non-finite input, update P where it changed and f(P) there.
 * A backend supplies only the primitives (`ConvState`) over its own memory: JavaScript arrays,
 * WebAssembly memory or native memory.
 */
import type { ConvEngine, DeltaResult } from './backend.js';
import { denseConvMacs, type ConvGeometry } from './geometry.js';
import { nonFiniteInput } from './non-finite.js';
import { MAX_TENSOR_ELEMENTS_CEILING, validateConvGeometry } from './validate-geometry.js';

/** One subscription's layer state in a backend's memory: the steps the driver composes. */
export interface ConvState {
  /** P, HWC. Valid until the next call. */
  readonly projection: Float32Array;
  /** f(P), kept whole. Valid until the next call on this state; the backend keeps it valid across other states' creation. */
  readonly output: Float32Array;
  /** Output pixels changed by the last sparse update; the first `touchedCount()` are valid. */
  readonly touched: Int32Array;
  /** The active input pixels of the last detection. */
  readonly activeList: Int32Array;
  touchedCount(): number;
  /**
   * Ĩ = input, P = W·Ĩ + b and output = f(P), everywhere. Returns the index of the input's first
   * NaN or ±Infinity, or -1; when there is one, P and f(P) are not valid (the step throws).
   */
  recompute(input: Float32Array): number;
  /** Empties the touched list. */
  clearTouched(): void;
  /**
   * Lists the pixels with `max_c |input − Ĩ| > threshold` (NaN counts as active) among the
   * candidates (every pixel when null), gathers their deltas and integrates them into Ĩ. Returns
   * their count, or `maxActive + 1` as soon as more than `maxActive` are active.
   */
  detect(input: Float32Array, threshold: number, candidates: Int32Array | null, candidateCount: number, maxActive: number): number;
  /** Whether a delta gathered by the last detection is NaN or ±Infinity. */
  deltasNonFinite(): boolean;
  /** Index among the gathered deltas (`activeIndex · inChannels + channel`) of the first non-finite one. */
  findNonFiniteDelta(activeCount: number): number;
  /** P += W·deltas (or a recompute) at the output pixels the active pixels reach, and f(P) there; returns the multiply-adds done. */
  sparseUpdate(activeCount: number): number;
  dispose(): void;
}

/**
 * The engine of one subscription: the geometry is checked first (a `RangeError` naming the field),
 * so that no backend ever builds state, or runs a kernel, for one its kernels cannot run. The limit
 * is the kernels' own (the largest buffer they address); layers apply their users' smaller limits.
 */
export function createDeltaEngine(geometry: ConvGeometry, createState: () => ConvState): ConvEngine {
  validateConvGeometry(geometry, { maxTensorElements: MAX_TENSOR_ELEMENTS_CEILING });
  return new DeltaConvEngine(geometry, createState());
}

class DeltaConvEngine implements ConvEngine {
  private readonly inputPixels: number;
  private readonly denseMacs: number;

  constructor(
    private readonly geometry: ConvGeometry,
    private readonly state: ConvState,
  ) {
    this.inputPixels = geometry.inHeight * geometry.inWidth;
    this.denseMacs = denseConvMacs(geometry);
  }

  get projection(): Float32Array {
    return this.state.projection;
  }

  get output(): Float32Array {
    return this.state.output;
  }

  keyframe(input: Float32Array): void {
    const bad = this.state.recompute(input);
    if (bad >= 0) {
      const channels = this.geometry.inChannels;
      throw nonFiniteInput(this.geometry.inWidth, Math.floor(bad / channels), bad % channels, input[bad]!);
    }
  }

  update(input: Float32Array, threshold: number, candidates: Int32Array | null, candidateCount: number, denseFraction: number): DeltaResult {
    const state = this.state;
    if (candidates) this.checkCandidates(candidates, candidateCount);
    state.clearTouched();
    const maxActive = Math.floor(denseFraction * this.inputPixels);
    const active = state.detect(input, threshold, candidates, candidateCount, maxActive);
    if (active > maxActive) {
      this.keyframe(input);
      return { activePixels: active, macs: this.denseMacs, dense: true, touched: state.touched, touchedCount: 0, activeList: state.activeList };
    }
    if (state.deltasNonFinite()) {
      const channels = this.geometry.inChannels;
      const bad = state.findNonFiniteDelta(active);
      const pixel = state.activeList[Math.floor(bad / channels)]!;
      throw nonFiniteInput(this.geometry.inWidth, pixel, bad % channels, input[pixel * channels + (bad % channels)]!);
    }
    const macs = state.sparseUpdate(active);
    return { activePixels: active, macs, dense: false, touched: state.touched, touchedCount: state.touchedCount(), activeList: state.activeList };
  }

  dispose(): void {
    this.state.dispose();
  }

  /** A change hint is data from elsewhere: one index outside the map would have a kernel read or write outside it. */
  private checkCandidates(candidates: Int32Array, count: number): void {
    if (!(Number.isInteger(count) && count >= 0 && count <= candidates.length)) {
      throw new RangeError(`candidate count ${count} is not within the ${candidates.length} candidates given`);
    }
    for (let k = 0; k < count; k++) {
      const pixel = candidates[k]!;
      if (pixel < 0 || pixel >= this.inputPixels) {
        throw new RangeError(`candidate pixel ${pixel} is outside the ${this.geometry.inWidth}x${this.geometry.inHeight} input`);
      }
    }
  }
}
