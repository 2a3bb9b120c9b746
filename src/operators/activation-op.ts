import type { OperatorFunction } from 'rxjs';
import { activatePixels } from '../kernels/activation.js';
import { assertFeatureMap } from '../layers/validate.js';
import type { Activation, FeatureMap } from '../types.js';
import { deriveMap, passStats } from './map-meta.js';
import { layerName } from './names.js';
import { mapWithState } from './with-state.js';

interface ActivationState {
  lastInput: Float32Array | undefined;
  lastOutput: Float32Array | undefined;
}

/**
 * A stand-alone element-wise non-linearity. Delta-aware: when the input says where it changed, only
 * those pixels are recomputed and the same change list is passed on.
 */
export function activation(kind: Activation, options: { leakyReluAlpha?: number; name?: string } = {}): OperatorFunction<FeatureMap, FeatureMap> {
  const name = layerName(kind, options.name);
  const alpha = options.leakyReluAlpha ?? 0.01;
  return mapWithState<ActivationState, FeatureMap, FeatureMap>(
    () => ({ lastInput: undefined, lastOutput: undefined }),
    (state, map) => {
      const started = performance.now();
      assertFeatureMap(name, map);
      const changes = map.changes;
      const incremental =
        !map.keyframe && changes !== undefined && changes.since === state.lastInput && state.lastOutput?.length === map.data.length;
      let output: Float32Array;
      if (incremental && changes.pixels.length === 0) {
        output = state.lastOutput!;
      } else if (incremental) {
        output = state.lastOutput!.slice();
        activatePixels(kind, alpha, map.data, output, map.channels, changes.pixels, changes.pixels.length);
      } else {
        output = new Float32Array(map.data.length);
        activatePixels(kind, alpha, map.data, output, map.channels, null, 0);
      }
      const since = state.lastOutput;
      state.lastInput = map.data;
      state.lastOutput = output;
      const pixels = map.height * map.width;
      return deriveMap(
        map, output, map.height, map.width, map.channels,
        passStats(name, kind, incremental ? changes.pixels.length / pixels : 1, !incremental, started),
        incremental ? { since: since!, pixels: changes.pixels } : undefined,
      );
    },
  );
}

export const relu = (options: { name?: string } = {}) => activation('relu', options);
