/** The plain-JavaScript backend: readable, portable, and the fallback where WebAssembly SIMD is missing. */
import { activatePixels } from './activation.js';
import { detectActive, findNonFinite, nonFiniteInput } from './activity.js';
import { NO_ACTIVATION, type ConvEngine, type DeltaResult, type EngineActivation, type KernelBackend, type PreparedWeights } from './backend.js';
import { convDense } from './conv-dense.js';
import { clearTouched, convScatter, createTouchedPixels } from './conv-scatter.js';
import { convKind, denseConvMacs, type ConvGeometry, type ConvKind } from './geometry.js';

/**
 * Measured by `npm run bench js-conv` (3x3 64->64 on 56x56) and on UltraFace-style depthwise 3x3
 * (32 channels, 120x160) and 1x1 (64->64, 60x80) layers: the JS sparse update (detection included)
 * reaches the JS dense conv's time at about 90-95% active input pixels, so 0.85 leaves room for the
 * output copy and activation. An RGB stem (3x3 stride 2, 3->16 on 240x320) crosses at 60-70%.
 */
const JS_DENSE_CROSSOVER: Record<ConvKind, number> = { general: 0.85, pointwise: 0.85, depthwise: 0.85, narrow: 0.6 };

export const jsBackend: KernelBackend = {
  name: 'js',
  denseCrossover: (geometry) => JS_DENSE_CROSSOVER[convKind(geometry)],
  createConvEngine: (geometry, weights, activation = NO_ACTIVATION) => new JsConvEngine(geometry, weights, activation),
};

class JsConvEngine implements ConvEngine {
  readonly projection: Float32Array;
  readonly output: Float32Array;
  private readonly integratedInput: Float32Array;
  private readonly activePixels: Int32Array;
  private readonly activeDeltas: Float32Array;
  private readonly touched;
  private readonly inputPixels: number;

  constructor(
    private readonly geometry: ConvGeometry,
    private readonly weights: PreparedWeights,
    private readonly activation: EngineActivation,
  ) {
    this.inputPixels = geometry.inHeight * geometry.inWidth;
    this.projection = new Float32Array(geometry.outHeight * geometry.outWidth * geometry.outChannels);
    this.output = new Float32Array(this.projection.length);
    this.integratedInput = new Float32Array(this.inputPixels * geometry.inChannels);
    this.activePixels = new Int32Array(this.inputPixels);
    this.activeDeltas = new Float32Array(this.inputPixels * geometry.inChannels);
    this.touched = createTouchedPixels(geometry.outHeight * geometry.outWidth);
  }

  keyframe(input: Float32Array): void {
    const bad = findNonFinite(input);
    if (bad >= 0) {
      const channels = this.geometry.inChannels;
      throw nonFiniteInput(this.geometry.inWidth, Math.floor(bad / channels), bad % channels, input[bad]!);
    }
    this.integratedInput.set(input);
    this.denseConv(input);
  }

  /** P = W·input + b and output = f(P), everywhere. */
  private denseConv(input: Float32Array): void {
    convDense(this.geometry, this.weights.packed, this.weights.bias, input, this.projection);
    this.activate(null, 0);
  }

  private activate(pixels: Int32Array | null, count: number): void {
    activatePixels(this.activation.kind, this.activation.leakyReluAlpha, this.projection, this.output, this.geometry.outChannels, pixels, count);
  }

  update(
    input: Float32Array,
    threshold: number,
    candidates: Int32Array | null,
    candidateCount: number,
    denseFraction: number,
  ): DeltaResult {
    const channels = this.geometry.inChannels;
    clearTouched(this.touched);
    const maxActive = Math.floor(denseFraction * this.inputPixels);
    const active = detectActive(
      input,
      this.integratedInput,
      channels,
      threshold,
      candidates,
      candidateCount,
      this.activePixels,
      this.activeDeltas,
      maxActive,
    );
    if (active > maxActive) {
      this.keyframe(input);
      return { activePixels: active, macs: denseConvMacs(this.geometry), dense: true, touched: this.touched.list, touchedCount: 0, activeList: this.activePixels };
    }
    const bad = findNonFinite(this.activeDeltas, active * channels);
    if (bad >= 0) {
      const pixel = this.activePixels[(bad / channels) | 0]!;
      throw nonFiniteInput(this.geometry.inWidth, pixel, bad % channels, input[pixel * channels + (bad % channels)]!);
    }
    const macs = convScatter(
      this.geometry,
      this.weights.packed,
      this.activePixels,
      active,
      this.activeDeltas,
      this.projection,
      this.touched,
    );
    this.activate(this.touched.list, this.touched.count);
    return { activePixels: active, macs, dense: false, touched: this.touched.list, touchedCount: this.touched.count, activeList: this.activePixels };
  }

  dispose(): void {
    // Typed arrays are garbage once the engine is unreachable; nothing to release explicitly.
  }
}
