/** Checks on values arriving at an operator, turned into errors that name the layer and say what was expected. */
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

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value !== 'object') return `${typeof value} ${String(value).slice(0, 40)}`;
  const data = (value as { data?: unknown }).data;
  return `an object with data of type ${data === undefined ? 'undefined' : ((data as object).constructor?.name ?? typeof data)}`;
}
