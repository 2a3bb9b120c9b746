/** The plain-JavaScript backend: readable, portable, and the last fallback. */
import { activatePixels } from '../activation.js';
import { NO_ACTIVATION, type EngineActivation, type KernelBackend, type PreparedWeights } from '../backend.js';
import { createDeltaEngine, type ConvState } from '../delta-engine.js';
import { convKind, type ConvGeometry, type ConvKind } from '../geometry.js';
import { findNonFinite } from '../non-finite.js';
import { clearTouched, createTouchedPixels, type TouchedPixels } from '../touched-pixels.js';
import { detectActive } from './activity.js';
import { convDense } from './conv-dense.js';
import { convScatter } from './conv-scatter.js';

/**
 * Measured by `npm run bench js-conv` (3x3 64->64 on 56x56) and on UltraFace-style depthwise 3x3
 * (32 channels, 120x160) and 1x1 (64->64, 60x80) layers: the JS sparse update (detection included)
 * reaches the JS dense conv's time at about 90-95% active input pixels, so 0.85 leaves room for the
 * output copy and activation. An RGB stem (3x3 stride 2, 3->16 on 240x320) crosses at 60-70%.
 */
const JS_DENSE_CROSSOVER: Record<ConvKind, number> = { general: 0.85, pointwise: 0.85, depthwise: 0.85, narrow: 0.6 };

export const jsBackend: KernelBackend = {
  name: 'js',
  recipe: { factory: 'js' },
  denseCrossover: (geometry) => JS_DENSE_CROSSOVER[convKind(geometry)],
  createConvEngine: (geometry, weights, activation = NO_ACTIVATION) => createDeltaEngine(geometry, () => new JsConvState(geometry, weights, activation)),
};

/** Ĩ, P and f(P) in JavaScript arrays; Ĩ has no border (the JS kernels bounds-check their taps). */
class JsConvState implements ConvState {
  readonly projection: Float32Array;
  readonly output: Float32Array;
  readonly activeList: Int32Array;
  private readonly integratedInput: Float32Array;
  private readonly activeDeltas: Float32Array;
  private readonly touchedPixels: TouchedPixels;
  private nonFiniteDeltas = false;

  constructor(
    private readonly geometry: ConvGeometry,
    private readonly weights: PreparedWeights,
    private readonly activation: EngineActivation,
  ) {
    const inputPixels = geometry.inHeight * geometry.inWidth;
    this.projection = new Float32Array(geometry.outHeight * geometry.outWidth * geometry.outChannels);
    this.output = new Float32Array(this.projection.length);
    this.integratedInput = new Float32Array(inputPixels * geometry.inChannels);
    this.activeList = new Int32Array(inputPixels);
    this.activeDeltas = new Float32Array(inputPixels * geometry.inChannels);
    this.touchedPixels = createTouchedPixels(geometry.outHeight * geometry.outWidth);
  }

  get touched(): Int32Array {
    return this.touchedPixels.list;
  }

  touchedCount(): number {
    return this.touchedPixels.count;
  }

  recompute(input: Float32Array): number {
    const bad = findNonFinite(input);
    if (bad >= 0) return bad;
    this.integratedInput.set(input);
    convDense(this.geometry, this.weights.packed, this.weights.bias, this.integratedInput, this.projection);
    this.activate(null, 0);
    return -1;
  }

  clearTouched(): void {
    clearTouched(this.touchedPixels);
  }

  detect(input: Float32Array, threshold: number, candidates: Int32Array | null, candidateCount: number, maxActive: number): number {
    const channels = this.geometry.inChannels;
    const active = detectActive(input, this.integratedInput, channels, threshold, candidates, candidateCount, this.activeList, this.activeDeltas, maxActive);
    this.nonFiniteDeltas = active <= maxActive && findNonFinite(this.activeDeltas, active * channels) >= 0;
    return active;
  }

  deltasNonFinite(): boolean {
    return this.nonFiniteDeltas;
  }

  findNonFiniteDelta(activeCount: number): number {
    return findNonFinite(this.activeDeltas, activeCount * this.geometry.inChannels);
  }

  sparseUpdate(activeCount: number): number {
    const macs = convScatter(this.geometry, this.weights.packed, this.activeList, activeCount, this.activeDeltas, this.projection, this.touchedPixels);
    this.activate(this.touchedPixels.list, this.touchedPixels.count);
    return macs;
  }

  dispose(): void {
    // Typed arrays are garbage once the state is unreachable; nothing to release explicitly.
  }

  private activate(pixels: Int32Array | null, count: number): void {
    activatePixels(this.activation.kind, this.activation.leakyReluAlpha, this.projection, this.output, this.geometry.outChannels, pixels, count);
  }
}
