import { map as rxMap, type OperatorFunction } from 'rxjs';
import { assertFeatureMap } from '../layers/validate.js';
import type { FeatureMap } from '../types.js';
import { deriveMap, passStats } from './map-meta.js';
import { layerName } from './names.js';

/** Mean over all pixels per channel: a 1x1xC map. */
export function globalAvgPool(options: { name?: string } = {}): OperatorFunction<FeatureMap, FeatureMap> {
  const name = layerName('globalAvgPool', options.name);
  return rxMap((map: FeatureMap) => {
    const started = performance.now();
    assertFeatureMap(name, map);
    const { channels } = map;
    const sums = new Float64Array(channels);
    for (let i = 0; i < map.data.length; i += channels) {
      for (let c = 0; c < channels; c++) sums[c]! += map.data[i + c]!;
    }
    const pixels = map.height * map.width;
    const output = Float32Array.from(sums, (s) => s / pixels);
    return deriveMap(map, output, 1, 1, channels, passStats(name, 'globalAvgPool', 1, true, started));
  });
}

/**
 * A 1x1x(H·W·C) view of the same data (HWC order; no copy: emitted data is never mutated). Not
 * needed before `rrmFc`, which takes any map and keeps pixel-wise activity.
 */
export function flatten(options: { name?: string } = {}): OperatorFunction<FeatureMap, FeatureMap> {
  const name = layerName('flatten', options.name);
  return rxMap((map: FeatureMap) => {
    const started = performance.now();
    assertFeatureMap(name, map);
    const changes = map.changes && { since: map.changes.since, pixels: map.changes.pixels.length === 0 ? map.changes.pixels : Int32Array.of(0) };
    return deriveMap(map, map.data, 1, 1, map.data.length, passStats(name, 'flatten', 1, false, started), changes);
  });
}

/** Softmax over the channels of every pixel. */
export function softmax(options: { name?: string } = {}): OperatorFunction<FeatureMap, FeatureMap> {
  const name = layerName('softmax', options.name);
  return rxMap((map: FeatureMap) => {
    const started = performance.now();
    assertFeatureMap(name, map);
    const { channels, data } = map;
    const output = new Float32Array(data.length);
    for (let base = 0; base < data.length; base += channels) {
      let max = -Infinity;
      for (let c = 0; c < channels; c++) max = Math.max(max, data[base + c]!);
      let sum = 0;
      for (let c = 0; c < channels; c++) sum += output[base + c] = Math.exp(data[base + c]! - max);
      for (let c = 0; c < channels; c++) output[base + c]! /= sum;
    }
    return deriveMap(map, output, map.height, map.width, channels, passStats(name, 'softmax', 1, true, started));
  });
}
