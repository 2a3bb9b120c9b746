import { activatePixels } from '../kernels/activation.js';
import type { Activation, FeatureMap } from '../types.js';
import type { Layer } from './layer.js';
import { deriveMap, passStats } from './map-meta.js';
import { assertFeatureMap } from './validate.js';

interface ActivationState {
  lastInput: Float32Array | undefined;
  lastOutput: Float32Array | undefined;
}

/**
 * A stand-alone element-wise non-linearity. Delta-aware: when the input says where it changed, only
 * those pixels are recomputed and the same change list is passed on.
 */
export class ActivationLayer implements Layer<ActivationState> {
  constructor(
    readonly name: string,
    readonly kind: Activation,
    readonly leakyReluAlpha = 0.01,
    /** Update one output buffer in place (see `RrmLayerConfig.reuseOutput`: fused graphs only). */
    readonly reuseOutput = false,
  ) {}

  createState(): ActivationState {
    return { lastInput: undefined, lastOutput: undefined };
  }

  step(state: ActivationState, map: FeatureMap): FeatureMap {
    const started = performance.now();
    assertFeatureMap(this.name, map);
    const { kind, leakyReluAlpha: alpha } = this;
    const changes = map.changes;
    const incremental = !map.keyframe && changes !== undefined && changes.since === state.lastInput && state.lastOutput?.length === map.data.length;
    let output: Float32Array;
    if (incremental && changes.pixels.length === 0) {
      output = state.lastOutput!;
    } else if (incremental) {
      output = this.reuseOutput ? state.lastOutput! : state.lastOutput!.slice();
      activatePixels(kind, alpha, map.data, output, map.channels, changes.pixels, changes.pixels.length);
    } else {
      output = this.reuseOutput && state.lastOutput?.length === map.data.length ? state.lastOutput : new Float32Array(map.data.length);
      activatePixels(kind, alpha, map.data, output, map.channels, null, 0);
    }
    const since = state.lastOutput;
    state.lastInput = map.data;
    state.lastOutput = output;
    return deriveMap(
      map, output, map.height, map.width, map.channels,
      passStats(this.name, kind, incremental ? changes.pixels.length / (map.height * map.width) : 1, !incremental, started),
      incremental ? { since: since!, pixels: changes.pixels } : undefined,
    );
  }
}
