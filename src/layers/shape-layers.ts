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

/** Mean over all pixels per channel: a 1x1xC map. */
export class GlobalAvgPoolLayer extends StatelessLayer {
  protected compute(map: FeatureMap, started: number): FeatureMap {
    const { channels } = map;
    const sums = new Float64Array(channels);
    for (let i = 0; i < map.data.length; i += channels) {
      for (let c = 0; c < channels; c++) sums[c]! += map.data[i + c]!;
    }
    // The sums are doubles, which float32 values cannot overflow: a sum is finite exactly when its values were.
    for (const sum of sums) if (sum - sum !== 0) throw nonFiniteMapError(this.name, map);
    const pixels = map.height * map.width;
    return deriveMap(map, Float32Array.from(sums, (s) => s / pixels), 1, 1, channels, passStats(this.name, 'globalAvgPool', 1, true, started));
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
