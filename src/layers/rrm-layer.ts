/**
 * The Recurrent Residual Module for one linear layer (conv or fully connected) followed by a
 * non-linearity: shared immutable weights plus a per-subscription state of Ĩ (integrated input)
 * and P (projection), held by a kernel backend.
 *
 *   keyframe (first item, `keyframe: true`, new input shape):  P = W·I + b,  Ĩ = I
 *   delta item:  active pixels p where max_c |I − Ĩ| > τ;  P += W·(I − Ĩ) at p;  Ĩ = I at p
 *   emitted:     f(P), recomputed only at the output pixels P changed in
 */
import { activatePixels } from '../kernels/activation.js';
import type { ConvEngine, KernelBackend, PreparedWeights } from '../kernels/backend.js';
import { denseConvMacs, type ConvGeometry } from '../kernels/geometry.js';
import type { Activation, ActivityTrace, FeatureMap, LayerStats } from '../types.js';
import type { Layer } from './layer.js';
import { deriveMap } from './map-meta.js';
import { assertFeatureMap, RrmInputError } from './validate.js';

export interface RrmLayerConfig {
  readonly name: string;
  readonly kind: 'conv' | 'fc';
  readonly weights: PreparedWeights;
  /** The layer's geometry for an input shape; throws an `RrmInputError` for a shape it cannot take. */
  readonly geometryFor: (height: number, width: number, channels: number) => ConvGeometry;
  readonly activation: Activation;
  readonly leakyReluAlpha: number;
  readonly threshold: number;
  /**
   * Makes τ relative: the layer's τ is `threshold · thresholdScale(input)`, measured once per
   * subscription on the first input it computes densely (e.g. the input's typical magnitude, so one
   * τ means the same relative precision at every depth).
   */
  readonly thresholdScale?: (input: FeatureMap) => number;
  /** Active fraction above which to recompute densely; defaults to the backend's measured crossover. */
  readonly denseFraction: number | undefined;
  readonly backend: KernelBackend;
  /** Record the integrated input pixels in each item's stats (`LayerStats.activity`). */
  readonly traceActivity?: boolean;
  /**
   * Update one output buffer in place instead of emitting a new array per item. Only for layers
   * whose consumers are internal and see every item in order (a fused model graph): RxJS users
   * hold emitted maps, which must never change afterwards.
   */
  readonly reuseOutput?: boolean;
}

/** What one subscription remembers between items. */
export interface RrmLayerState {
  geometry: ConvGeometry | undefined;
  engine: ConvEngine | undefined;
  /** The `data` of the last input consumed: `changes.since` must be this array to be trusted. */
  lastInput: Float32Array | undefined;
  /**
   * The last emitted output: never mutated afterwards (the next output starts as its copy), except
   * with `reuseOutput`, where it is the engine's output view itself.
   */
  lastOutput: Float32Array | undefined;
  /** τ of this subscription (see `RrmLayerConfig.thresholdScale`); set at its first dense input. */
  threshold: number | undefined;
}

export class RrmLayer implements Layer<RrmLayerState> {
  constructor(readonly config: RrmLayerConfig) {}

  get name(): string {
    return this.config.name;
  }

  createState(): RrmLayerState {
    return { geometry: undefined, engine: undefined, lastInput: undefined, lastOutput: undefined, threshold: undefined };
  }

  disposeState(state: RrmLayerState): void {
    state.engine?.dispose();
    state.engine = undefined;
    state.lastInput = state.lastOutput = undefined;
  }

  private trace(geometry: ConvGeometry, pixels: Int32Array | 'all'): ActivityTrace | undefined {
    return this.config.traceActivity ? { width: geometry.inWidth, height: geometry.inHeight, pixels } : undefined;
  }

  step(state: RrmLayerState, map: FeatureMap): FeatureMap {
    const started = performance.now();
    const { name, activation, leakyReluAlpha } = this.config;
    assertFeatureMap(name, map);
    let geometry = state.geometry;
    let fresh = false;
    if (!geometry || geometry.inHeight !== map.height || geometry.inWidth !== map.width || geometry.inChannels !== map.channels) {
      geometry = this.config.geometryFor(map.height, map.width, map.channels);
      state.engine?.dispose();
      state.engine = withLayerName(name, () => this.config.backend.createConvEngine(geometry!, this.config.weights, { kind: activation, leakyReluAlpha }));
      state.geometry = geometry;
      fresh = true;
    }
    const engine = state.engine!;
    const denseMacs = denseConvMacs(geometry);
    let output: Float32Array;
    let changes: FeatureMap['changes'];
    let stats: LayerStats;

    const inputPixels = geometry.inHeight * geometry.inWidth;
    const denseFraction = this.config.denseFraction ?? this.config.backend.denseCrossover(geometry);
    const upstream = map.changes;
    const candidates = upstream && upstream.since === state.lastInput ? upstream.pixels : null;
    state.threshold ??= this.config.thresholdScale ? this.config.threshold * this.config.thresholdScale(map) : this.config.threshold;
    const threshold = state.threshold;
    // At τ = 0 every hinted pixel that really changed is active: when the hint alone passes the
    // crossover, recompute densely at once instead of paying for detection first (still exact).
    const hintedDense = threshold === 0 && candidates !== null && candidates.length > denseFraction * inputPixels;
    // After a dense upstream layer, a layer whose sparse update pays only below half active pixels
    // recomputes densely at once (see `FeatureMap.dense`).
    const upstreamDense = map.dense === true && denseFraction < 0.5;
    let dense = true;
    if (fresh || map.keyframe || !state.lastOutput || hintedDense || upstreamDense) {
      withLayerName(name, () => engine.keyframe(map.data));
      output = this.wholeOutput(engine);
      stats = layerStats(this.config, 1, denseMacs, denseMacs, true, started, this.trace(geometry, 'all'));
    } else {
      const result = withLayerName(name, () => engine.update(map.data, threshold, candidates, candidates ? candidates.length : 0, denseFraction));
      const previous = state.lastOutput;
      dense = result.dense;
      if (result.dense) {
        output = this.wholeOutput(engine);
      } else if (this.config.reuseOutput) {
        output = engine.output;
        changes = { since: previous, pixels: result.touched.subarray(0, result.touchedCount) };
      } else if (result.touchedCount === 0) {
        output = previous; // unchanged, and emitted maps are never mutated: share it
        changes = { since: previous, pixels: new Int32Array(0) };
      } else {
        output = previous.slice();
        // The engine's output already holds f(P): copy its touched pixels (the identity activation).
        activatePixels('none', 0, engine.output, output, geometry.outChannels, result.touched, result.touchedCount);
        changes = { since: previous, pixels: result.touched.slice(0, result.touchedCount) };
      }
      const traced = this.config.traceActivity ? this.trace(geometry, result.activeList ? result.activeList.slice(0, result.activePixels) : 'all') : undefined;
      stats = layerStats(this.config, result.activePixels / inputPixels, result.macs, denseMacs, result.dense, started, traced);
    }
    state.lastInput = map.data;
    state.lastOutput = output;
    return deriveMap(map, output, geometry.outHeight, geometry.outWidth, geometry.outChannels, stats, changes, dense);
  }

  /**
   * The map to emit after the engine recomputed its whole output: in a fused graph (`reuseOutput`)
   * the engine's output itself, which the next layer reads in place (the backend keeps it valid
   * until this layer's next step); otherwise a copy, since emitted maps must never change.
   */
  private wholeOutput(engine: ConvEngine): Float32Array {
    return this.config.reuseOutput ? engine.output : engine.output.slice();
  }
}

function layerStats(
  config: RrmLayerConfig,
  activeFraction: number,
  macs: number,
  denseMacs: number,
  dense: boolean,
  started: number,
  activity: ActivityTrace | undefined,
): LayerStats {
  const stats = { layer: config.name, kind: config.kind, activeFraction, macs, denseMacs, dense, timeMs: performance.now() - started };
  return activity ? { ...stats, activity } : stats;
}

/** Runs an engine call, turning its RangeError about the input into an `RrmInputError` naming the layer. */
function withLayerName<T>(layer: string, call: () => T): T {
  try {
    return call();
  } catch (error) {
    if (error instanceof RangeError) throw new RrmInputError(`${layer}: ${error.message}`);
    throw error;
  }
}
