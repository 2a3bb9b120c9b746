/** Layers without state: they compute each map from scratch (all are cheap next to a conv). */
import type { FeatureMap } from '../types.js';
import type { Layer } from './layer.js';
import { deriveMap, passStats } from './map-meta.js';
import { assertFeatureMap, assertFiniteMap, nonFiniteMapError } from './validate.js';

abstract class StatelessLayer implements Layer<null> {
  constructor(readonly name: string) {}

  createState(): null {
    return null;
  }

  step(_state: null, map: FeatureMap): FeatureMap {
    const started = performance.now();
    assertFeatureMap(this.name, map);
    return this.compute(map, started);
  }

  protected abstract compute(map: FeatureMap, started: number): FeatureMap;
}

/** What a global average pool keeps between items: the per-channel sums and the input they sum. */
interface GlobalPoolState {
  sums: Float64Array | undefined;
  /** The input as summed, pixel by pixel (the upstream map may be updated in place, losing the old values). */
  summed: Float32Array | undefined;
  /** The `data` of the last input consumed: `changes.since` must be this array to be trusted. */
  lastInput: Float32Array | undefined;
  lastOutput: Float32Array | undefined;
}

/**
 * Mean over all pixels per channel: a 1x1xC map. Linear, so like an RRM layer it updates its sums
 * by the change at the pixels the input's hint names instead of summing the whole map again (on
 * the demo network it was the most expensive layer of a sparse frame: every pixel, every frame).
 * Sums are doubles: float32 changes add up without drifting visibly over any stream length.
 */
export class GlobalAvgPoolLayer implements Layer<GlobalPoolState> {
  constructor(readonly name: string) {}

  createState(): GlobalPoolState {
    return { sums: undefined, summed: undefined, lastInput: undefined, lastOutput: undefined };
  }

  step(state: GlobalPoolState, map: FeatureMap): FeatureMap {
    const started = performance.now();
    assertFeatureMap(this.name, map);
    const { channels, data } = map;
    const changes = map.changes;
    const incremental =
      !map.keyframe && !map.dense && changes !== undefined && changes.since === state.lastInput && state.summed?.length === data.length && state.sums?.length === channels;
    let changed = true;
    if (incremental) {
      const sums = state.sums!;
      const summed = state.summed!;
      let check = 0;
      for (const pixel of changes.pixels) {
        for (let i = pixel * channels, c = 0; c < channels; i++, c++) {
          const value = data[i]!;
          check += value - value;
          sums[c]! += value - summed[i]!;
          summed[i] = value;
        }
      }
      if (check !== 0) throw nonFiniteMapError(this.name, map);
      changed = changes.pixels.length > 0;
    } else {
      const sums = new Float64Array(channels);
      for (let i = 0; i < data.length; i += channels) {
        for (let c = 0; c < channels; c++) sums[c]! += data[i + c]!;
      }
      // The sums are doubles, which float32 values cannot overflow: a sum is finite exactly when its values were.
      for (const sum of sums) if (sum - sum !== 0) throw nonFiniteMapError(this.name, map);
      state.sums = sums;
      // The copy the next delta item subtracts from; its buffer is reused from frame to frame.
      if (state.summed?.length === data.length) state.summed.set(data);
      else state.summed = data.slice();
    }
    const pixels = map.height * map.width;
    const previous = state.lastOutput;
    // Emitted maps are never changed: an unchanged mean shares the previous output.
    const output = changed || !previous ? Float32Array.from(state.sums!, (s) => s / pixels) : previous;
    state.lastInput = data;
    state.lastOutput = output;
    const active = incremental ? changes.pixels.length / pixels : 1;
    const hint = incremental && previous ? { since: previous, pixels: changed ? Int32Array.of(0) : new Int32Array(0) } : undefined;
    return deriveMap(map, output, 1, 1, channels, passStats(this.name, 'globalAvgPool', active, !incremental, started), hint, !incremental);
  }
}

/**
 * A 1x1x(H·W·C) view of the same data (HWC order; no copy: emitted data is never mutated). Not
 * needed before `rrmFc`, which takes any map and keeps pixel-wise activity.
 */
export class FlattenLayer extends StatelessLayer {
  protected compute(map: FeatureMap, started: number): FeatureMap {
    // A relabelling reads no values; it still refuses what every other layer refuses.
    assertFiniteMap(this.name, map);
    const changes = map.changes && { since: map.changes.since, pixels: map.changes.pixels.length === 0 ? map.changes.pixels : Int32Array.of(0) };
    return deriveMap(map, map.data, 1, 1, map.data.length, passStats(this.name, 'flatten', 1, false, started), changes);
  }
}

/** Softmax over the channels of every pixel. */
export class SoftmaxLayer extends StatelessLayer {
  protected compute(map: FeatureMap, started: number): FeatureMap {
    const { channels, data } = map;
    const output = new Float32Array(data.length);
    let readSum = 0;
    for (let base = 0; base < data.length; base += channels) {
      let max = -Infinity;
      for (let c = 0; c < channels; c++) {
        const x = data[base + c]!;
        readSum += x;
        if (x > max) max = x;
      }
      let sum = 0;
      for (let c = 0; c < channels; c++) sum += output[base + c] = Math.exp(data[base + c]! - max);
      for (let c = 0; c < channels; c++) output[base + c]! /= sum;
    }
    // Every value was added to a double-precision sum, which float32 values cannot overflow.
    if (readSum - readSum !== 0) throw nonFiniteMapError(this.name, map);
    return deriveMap(map, output, map.height, map.width, channels, passStats(this.name, 'softmax', 1, true, started));
  }
}
