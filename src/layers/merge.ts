/** Combining maps of several branches: the two-input steps of residual blocks and concatenations. */
import type { FeatureMap, LayerStats } from '../types.js';
import { deriveMap, passStats } from './map-meta.js';
import { findNonFinite } from '../kernels/non-finite.js';
import { assertFeatureMap, assertFiniteMap, nonFiniteMapError, RrmInputError } from './validate.js';

/** `a + b` element-wise; both maps must have one shape. Carries `b`'s stats (which start with `a`'s in a residual). */
export function addMaps(name: string, a: FeatureMap, b: FeatureMap, stats: readonly LayerStats[] = b.stats): FeatureMap {
  const started = performance.now();
  assertFeatureMap(name, a);
  assertFeatureMap(name, b);
  if (a.height !== b.height || a.width !== b.width || a.channels !== b.channels) {
    throw new RrmInputError(`${name}: cannot add a ${b.height}x${b.width}x${b.channels} map to a ${a.height}x${a.width}x${a.channels} map; expected equal shapes`);
  }
  const sum = new Float32Array(a.data.length);
  // The double-precision total of the sums is finite exactly when every value read was.
  let total = 0;
  for (let i = 0; i < sum.length; i++) {
    const s = a.data[i]! + b.data[i]!;
    total += s;
    sum[i] = s;
  }
  if (total - total !== 0) throw nonFiniteMapError(name, findNonFinite(a.data) >= 0 ? a : b);
  return deriveMap({ ...b, stats }, sum, a.height, a.width, a.channels, passStats(name, 'add', 1, true, started));
}

/** Stacks maps of one height and width along channels. */
export function concatMaps(name: string, maps: readonly FeatureMap[], stats: readonly LayerStats[]): FeatureMap {
  const started = performance.now();
  const first = maps[0];
  if (!first) throw new RrmInputError(`${name}: needs at least one input`);
  maps.forEach((map, k) => {
    assertFeatureMap(name, map);
    // Copies are block moves that read no values in JS: each input is checked on its own.
    assertFiniteMap(name, map);
    if (map.height !== first.height || map.width !== first.width) {
      throw new RrmInputError(`${name}: input ${k} is ${map.height}x${map.width}, expected ${first.height}x${first.width} like input 0`);
    }
  });
  const channels = maps.reduce((n, map) => n + map.channels, 0);
  const pixels = first.height * first.width;
  const data = new Float32Array(pixels * channels);
  let offset = 0;
  for (const map of maps) {
    for (let p = 0; p < pixels; p++) data.set(map.data.subarray(p * map.channels, (p + 1) * map.channels), p * channels + offset);
    offset += map.channels;
  }
  return deriveMap({ ...first, stats }, data, first.height, first.width, channels, passStats(name, 'concat', 1, true, started));
}

/** The stats of several branches that started from one input, without repeating the shared prefix. */
export function mergeStats(maps: readonly FeatureMap[]): LayerStats[] {
  const first = maps[0]?.stats ?? [];
  const merged = [...first];
  for (const map of maps.slice(1)) {
    let shared = 0;
    while (shared < first.length && shared < map.stats.length && first[shared] === map.stats[shared]) shared++;
    merged.push(...map.stats.slice(shared));
  }
  return merged;
}
