/**
 * The magnitude of a layer's input map, for thresholds relative to it (`thresholdMode: 'relative'`
 * of a model): the 99.9th percentile over pixels of max_c |x|. Per pixel the largest |x| over
 * channels, because that is what the activity test `max_c |I − Ĩ| > τ` compares with τ; near the
 * top, so that on an image it is the input's range (about 1 after the usual preprocessing, whatever
 * the picture's contrast), but not the very maximum, which one outlying pixel sets. Mean |x| and RMS
 * shrink 5–10x with depth (ReLU zeros, wider layers) and scaling τ by them cost 1.2x the
 * multiply-adds for the same accuracy on UltraFace; lower percentiles follow the picture's contrast.
 * Measurements: docs/architecture.md.
 */
import type { FeatureMap } from '../types.js';

type MapData = Pick<FeatureMap, 'data' | 'channels'>;

/** Per pixel, the largest |x| over its channels. */
export function pixelMaxima({ data, channels }: MapData): Float32Array {
  const pixels = Math.floor(data.length / channels);
  const maxima = new Float32Array(pixels);
  for (let p = 0; p < pixels; p++) {
    let largest = 0;
    for (let i = p * channels, end = i + channels; i < end; i++) largest = Math.max(largest, Math.abs(data[i]!));
    maxima[p] = largest;
  }
  return maxima;
}

/** The 99.9th percentile (nearest rank: the value at index ⌊0.999·n⌋ in ascending order) of `pixelMaxima`. */
export function inputScale(map: MapData): number {
  const maxima = pixelMaxima(map).sort();
  return maxima.length === 0 ? 0 : maxima[Math.min(maxima.length - 1, Math.floor(0.999 * maxima.length))]!;
}

/** Whether every pixel of the map holds the same channel values (a blank or uniformly grey frame). */
export function isUniform({ data, channels }: MapData): boolean {
  for (let i = channels; i < data.length; i++) if (data[i] !== data[i % channels]) return false;
  return true;
}
