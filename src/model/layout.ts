/**
 * The two forms a value takes while a model runs, and the conversions between them.
 *
 * - `map`: an rx-rrm FeatureMap (HWC). Its ONNX value is the map in NCHW order, reshaped to `dims`:
 *   `[1, C, H, W]` for an image, or e.g. `[1, C·H·W]` after a Flatten, which costs nothing at run
 *   time (a following Gemm reads HWC order through permuted weights instead).
 * - `tensor`: dims plus data in ONNX order, for the non-spatial parts (detection heads), computed densely.
 */
import type { FeatureMap } from '../types.js';
import { ModelImportError } from './errors.js';
import { sizeOf, type Tensor } from './tensor.js';

export interface MapValue {
  readonly kind: 'map';
  readonly map: FeatureMap;
  readonly dims: readonly number[];
}

export interface TensorValue extends Tensor {
  readonly kind: 'tensor';
}

export type Value = MapValue | TensorValue;

/** What a map built from a tensor inherits: the identity of the frame being computed. */
export type FrameMeta = Pick<FeatureMap, 'index' | 'timestamp' | 'streamId' | 'keyframe'>;

export const tensorValue = (t: Tensor): TensorValue => (t.integer ? { kind: 'tensor', dims: t.dims, data: t.data, integer: true } : { kind: 'tensor', dims: t.dims, data: t.data });

export const imageDims = (map: Pick<FeatureMap, 'height' | 'width' | 'channels'>): number[] => [1, map.channels, map.height, map.width];

export function hwcToNchw(data: Float32Array, height: number, width: number, channels: number): Float32Array {
  if (channels === 1 || height * width === 1) return data;
  const out = new Float32Array(data.length);
  const plane = height * width;
  for (let p = 0; p < plane; p++) {
    for (let c = 0; c < channels; c++) out[c * plane + p] = data[p * channels + c]!;
  }
  return out;
}

export function nchwToHwc(data: Float32Array, channels: number, height: number, width: number): Float32Array {
  if (channels === 1 || height * width === 1) return data;
  const out = new Float32Array(data.length);
  const plane = height * width;
  for (let c = 0; c < channels; c++) {
    for (let p = 0; p < plane; p++) out[p * channels + c] = data[c * plane + p]!;
  }
  return out;
}

/** The value in ONNX order. */
export function asTensor(value: Value): Tensor {
  if (value.kind === 'tensor') return value;
  const { map } = value;
  return { dims: value.dims, data: hwcToNchw(map.data, map.height, map.width, map.channels) };
}

/** True when the value is a map whose ONNX shape is exactly its image `[1, C, H, W]` (or `[1, C]` for 1x1). */
export function isImage(value: Value): value is MapValue {
  if (value.kind !== 'map') return false;
  const { dims, map } = value;
  if (dims.length === 4) return dims[0] === 1 && dims[1] === map.channels && dims[2] === map.height && dims[3] === map.width;
  return dims.length === 2 && dims[0] === 1 && dims[1] === map.channels && map.height === 1 && map.width === 1;
}

/**
 * The value as an HWC FeatureMap for spatial layers: maps pass through; a `[1, C, H, W]` or `[1, C]`
 * tensor is reordered. Stats start empty: the executor collects each node's own stats.
 */
export function asImageMap(value: Value, meta: FrameMeta, where: string): FeatureMap {
  if (isImage(value)) return value.map.stats.length === 0 ? value.map : { ...value.map, stats: [] };
  const t = asTensor(value);
  const [n, channels, height = 1, width = 1] = t.dims;
  if (n !== 1 || (t.dims.length !== 4 && t.dims.length !== 2) || channels === undefined) {
    throw new ModelImportError(`${where}: expects a [1, C, H, W] image (batch 1), got a tensor of shape [${t.dims.join(', ')}]`);
  }
  return {
    data: nchwToHwc(t.data, channels, height, width),
    height, width, channels,
    index: meta.index, timestamp: meta.timestamp,
    ...(meta.streamId !== undefined ? { streamId: meta.streamId } : {}),
    keyframe: meta.keyframe,
    stats: [],
  };
}

/** A map output by a spatial layer, with its image dims. */
export const imageValue = (map: FeatureMap): MapValue => ({ kind: 'map', map, dims: imageDims(map) });

/** The same map under another ONNX shape (Flatten/Reshape to `[1, K]`): no data moves. */
export function reshapedMap(value: MapValue, dims: readonly number[]): MapValue {
  if (sizeOf(dims) !== value.map.data.length) throw new ModelImportError(`reshape to [${dims.join(', ')}] does not keep ${value.map.data.length} elements`);
  return { kind: 'map', map: value.map, dims };
}
