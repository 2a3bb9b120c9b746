import { activatePixels } from '../kernels/activation.js';
import type { Activation, FeatureMap } from '../types.js';
import type { Layer } from './layer.js';
import { deriveMap, passStats } from './map-meta.js';
import { findNonFinite } from '../kernels/non-finite.js';
import { assertFeatureMap, nonFiniteMapError } from './validate.js';

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
    // NaN and ±Infinity are refused like the conv layers refuse them: the activation kernel's own pass
    // reports them (only at changed pixels on a delta item: the others were checked before).
    let finite = true;
    if (incremental && changes.pixels.length === 0) {
      output = state.lastOutput!;
    } else if (incremental) {
      output = this.reuseOutput ? state.lastOutput! : state.lastOutput!.slice();
      finite = activatePixels(kind, alpha, map.data, output, map.channels, changes.pixels, changes.pixels.length);
    } else {
      output = this.reuseOutput && state.lastOutput?.length === map.data.length ? state.lastOutput : new Float32Array(map.data.length);
      finite = activatePixels(kind, alpha, map.data, output, map.channels, null, 0);
    }
    // 'none' copies without reading: check its input apart (an identity layer, rarely used).
    if (kind === 'none' && findNonFinite(map.data) >= 0) finite = false;
    if (!finite) {
      state.lastInput = state.lastOutput = undefined; // the in-place output may hold the bad values
      throw nonFiniteMapError(this.name, map);
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
