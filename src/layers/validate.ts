/** Checks on values arriving at an operator, turned into errors that name the layer and say what was expected. */
import { findNonFinite, nonFiniteInput } from '../kernels/non-finite.js';
import type { FeatureMap, Frame } from '../types.js';

export class RrmInputError extends TypeError {
  override readonly name = 'RrmInputError';
}

/** Throws unless `value` is a well-formed FeatureMap (data length matches its shape). */
export function assertFeatureMap(layer: string, value: unknown): asserts value is FeatureMap {
  const map = value as Partial<FeatureMap> | null;
  if (map === null || typeof map !== 'object' || !(map.data instanceof Float32Array)) {
    throw new RrmInputError(`${layer}: expected a FeatureMap with Float32Array data, got ${describe(value)}`);
  }
  const { height, width, channels } = map;
  if (!isPositiveInteger(height) || !isPositiveInteger(width) || !isPositiveInteger(channels)) {
    throw new RrmInputError(`${layer}: expected positive integer height, width and channels, got ${height}x${width}x${channels}`);
  }
  if (map.data.length !== height * width * channels) {
    throw new RrmInputError(
      `${layer}: data has ${map.data.length} values, expected height*width*channels = ${height}*${width}*${channels} = ${height * width * channels}`,
    );
  }
  if (!Array.isArray(map.stats)) {
    throw new RrmInputError(`${layer}: expected stats, an array of the LayerStats of the layers before (\`[]\` for none), got ${describeValue(map.stats)}`);
  }
}

/**
 * The error for a map that holds NaN or ±Infinity, naming the first such value: the slow path
 * after a check fused into a layer's own pass over the data found one.
 */
export function nonFiniteMapError(layer: string, map: FeatureMap): RrmInputError {
  const bad = findNonFinite(map.data);
  if (bad < 0) return new RrmInputError(`${layer}: the input changed while the layer read it; expected an immutable map`);
  const channel = bad % map.channels;
  return new RrmInputError(`${layer}: ${nonFiniteInput(map.width, (bad - channel) / map.channels, channel, map.data[bad]!).message}`);
}

/** Throws unless every value of the map is finite: for layers that have no pass of their own over the values. */
export function assertFiniteMap(layer: string, map: FeatureMap): void {
  if (findNonFinite(map.data) >= 0) throw nonFiniteMapError(layer, map);
}

/** Throws unless `value` is a well-formed Frame. */
export function assertFrame(layer: string, value: unknown): asserts value is Frame {
  const frame = value as Partial<Frame> | null;
  if (frame === null || typeof frame !== 'object' || !(frame.data instanceof Uint8Array)) {
    throw new RrmInputError(`${layer}: expected a Frame with Uint8Array data, got ${describe(value)}`);
  }
  const { height, width, channels } = frame;
  if (!isPositiveInteger(height) || !isPositiveInteger(width) || (channels !== 1 && channels !== 3 && channels !== 4)) {
    throw new RrmInputError(`${layer}: expected positive integer width and height and 1, 3 or 4 channels, got ${width}x${height}x${channels}`);
  }
  if (frame.data.length !== height * width * channels) {
    throw new RrmInputError(
      `${layer}: frame data has ${frame.data.length} bytes, expected width*height*channels = ${width * height * channels}`,
    );
  }
}

function isPositiveInteger(n: unknown): n is number {
  return typeof n === 'number' && Number.isInteger(n) && n > 0;
}

function describeValue(value: unknown): string {
  if (value === null || typeof value !== 'object') return String(value);
  return value.constructor?.name ?? 'an object';
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value !== 'object') return `${typeof value} ${String(value).slice(0, 40)}`;
  const data = (value as { data?: unknown }).data;
  return `an object with data of type ${data === undefined ? 'undefined' : ((data as object).constructor?.name ?? typeof data)}`;
}
