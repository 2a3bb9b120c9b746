/**
 * Mean or maximum over a map's pixels, per channel: a 1x1xC map (GlobalAveragePool, GlobalMaxPool,
 * ReduceMean / ReduceMax over H and W). The mean is linear: with a change hint it adds each
 * changed pixel's difference to running sums (in double precision) instead of summing every pixel
 * again, and keeps its own copy of the input to take differences from. The maximum is recomputed
 * whenever anything changed. Either way an unchanged input emits the previous output with an empty hint.
 */
import type { FeatureMap } from '../types.js';
import type { Layer } from './layer.js';
import { deriveMap, passStats } from './map-meta.js';
import { assertFeatureMap } from './validate.js';

export type SpatialReduction = 'mean' | 'max';

interface SpatialReduceState {
  lastInput: Float32Array | undefined;
  lastOutput: Float32Array | undefined;
  /** The mean's integrated input and running sums (the maximum keeps neither). */
  integrated: Float32Array | undefined;
  sums: Float64Array | undefined;
}

export class SpatialReduceLayer implements Layer<SpatialReduceState> {
  constructor(
    readonly name: string,
    readonly reduction: SpatialReduction,
    readonly kind = reduction === 'mean' ? 'globalAvgPool' : 'globalMaxPool',
  ) {}

  createState(): SpatialReduceState {
    return { lastInput: undefined, lastOutput: undefined, integrated: undefined, sums: undefined };
  }

  step(state: SpatialReduceState, map: FeatureMap): FeatureMap {
    const started = performance.now();
    assertFeatureMap(this.name, map);
    const { data, channels } = map;
    const pixels = map.height * map.width;
    const changes = map.changes;
    const incremental = !map.keyframe && changes !== undefined && changes.since === state.lastInput && state.lastOutput?.length === channels &&
      (this.reduction === 'max' || state.integrated?.length === data.length);
    let output: Float32Array;
    let changed = true;
    if (incremental && changes.pixels.length === 0) {
      output = state.lastOutput!;
      changed = false;
    } else if (incremental && this.reduction === 'mean') {
      const integrated = state.integrated!;
      const sums = state.sums!;
      for (let k = 0; k < changes.pixels.length; k++) {
        const base = changes.pixels[k]! * channels;
        for (let c = 0; c < channels; c++) {
          sums[c]! += data[base + c]! - integrated[base + c]!;
          integrated[base + c] = data[base + c]!;
        }
      }
      output = Float32Array.from(sums, (s) => s / pixels);
    } else {
      output = this.reduceAll(state, data, channels, pixels);
    }
    const since = state.lastOutput;
    state.lastInput = data;
    state.lastOutput = output;
    return deriveMap(
      map, output, 1, 1, channels,
      passStats(this.name, this.kind, incremental ? changes.pixels.length / pixels : 1, !incremental, started),
      incremental ? { since: since!, pixels: changed ? Int32Array.of(0) : new Int32Array(0) } : undefined,
    );
  }

  private reduceAll(state: SpatialReduceState, data: Float32Array, channels: number, pixels: number): Float32Array {
    if (this.reduction === 'max') {
      const max = new Float32Array(channels).fill(-Infinity);
      for (let i = 0; i < data.length; i += channels) for (let c = 0; c < channels; c++) if (data[i + c]! > max[c]!) max[c] = data[i + c]!;
      return max;
    }
    const sums = new Float64Array(channels);
    for (let i = 0; i < data.length; i += channels) for (let c = 0; c < channels; c++) sums[c]! += data[i + c]!;
    state.sums = sums;
    state.integrated = data.slice();
    return Float32Array.from(sums, (s) => s / pixels);
  }
}
