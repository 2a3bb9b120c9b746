/**
 * Element-wise operators on maps: core activations (delta-aware), other unary functions, arithmetic
 * with a constant, arithmetic of two maps with broadcasting (e.g. squeeze-excite gating: dense,
 * since a product of two changing inputs has no linear delta form), and unfolded BatchNormalization.
 * Anything that is not a map runs on dense tensors.
 */
import { ActivationLayer } from '../layers/activation-layer.js';
import type { Layer } from '../layers/layer.js';
import { deriveMap, passStats } from '../layers/map-meta.js';
import type { FeatureMap } from '../types.js';
import { batchNormCoefficients } from './dense-ops.js';
import { DenseMapLayer } from './dense-map-layer.js';
import type { OnnxNode } from './graph.js';
import { asImageMap, imageValue, isImage, nchwToHwc, type MapValue, type Value } from './layout.js';
import { binaryOf, unaryOf } from './pointwise.js';
import { runLayer, requireInput, type FrameContext, type GraphStep, type ImportContext, denseFallback } from './step.js';
import { broadcastDims, expandTo, sizeOf } from './tensor.js';

/** Runs a layer on a map value keeping its ONNX dims (element-wise layers do not care about layout). */
function runKeepingDims<S>(layer: Layer<S>, state: S, value: MapValue, frame: FrameContext): Value {
  const map = value.map.stats.length === 0 ? value.map : { ...value.map, stats: [] };
  const out = runLayer(layer, state, map, frame) as MapValue;
  return { kind: 'map', map: out.map, dims: value.dims };
}

export function importUnary(node: OnnxNode, ctx: ImportContext): GraphStep {
  const unary = unaryOf(node, (name) => ctx.graph.constants.get(name));
  const dense = denseFallback(node, ctx);
  if (unary.kind === 'core' && unary.activation === 'none') {
    return { node, createState: () => null, run: (_s, inputs) => [requireInput(node, inputs)] };
  }
  const layer =
    unary.kind === 'core'
      ? new ActivationLayer(node.name, unary.activation, unary.alpha, true)
      : new DenseMapLayer(node.name, unary.label, (map) => map.data.map(unary.f));
  return {
    node,
    createState: () => layer.createState(),
    run: (state, inputs, frame) => {
      const input = requireInput(node, inputs);
      return [input.kind === 'map' ? runKeepingDims(layer, state, input, frame) : dense(inputs)];
    },
  };
}

/** The constant expanded to the map value's ONNX dims and reordered to its HWC storage. */
function constantInMapOrder(value: MapValue, constant: { dims: readonly number[]; data: Float32Array }, where: string): Float32Array | undefined {
  const dims = broadcastDims(value.dims, constant.dims, where);
  if (sizeOf(dims) !== value.map.data.length || dims.length !== value.dims.length) return undefined; // the constant would enlarge the map
  const { height, width, channels } = value.map;
  return nchwToHwc(expandTo(constant, dims), channels, height, width);
}

/** `f(a, b)` over two image maps whose H, W, C each match or are 1 (ONNX broadcasting of [1, C, H, W]). */
function broadcastMaps(a: FeatureMap, b: FeatureMap, f: (x: number, y: number) => number): { data: Float32Array; height: number; width: number; channels: number } | undefined {
  const pick = (x: number, y: number) => (x === y || y === 1 ? x : x === 1 ? y : -1);
  const height = pick(a.height, b.height);
  const width = pick(a.width, b.width);
  const channels = pick(a.channels, b.channels);
  if (height < 0 || width < 0 || channels < 0) return undefined;
  const data = new Float32Array(height * width * channels);
  const index = (m: FeatureMap, y: number, x: number, c: number) =>
    ((m.height === 1 ? 0 : y) * m.width + (m.width === 1 ? 0 : x)) * m.channels + (m.channels === 1 ? 0 : c);
  for (let y = 0, i = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < channels; c++, i++) data[i] = f(a.data[index(a, y, x, c)]!, b.data[index(b, y, x, c)]!);
    }
  }
  return { data, height, width, channels };
}

export function importBinary(node: OnnxNode, ctx: ImportContext): GraphStep {
  const f = binaryOf(node);
  const dense = denseFallback(node, ctx);
  const constants = ctx.graph.constants;
  const constantIndex = constants.has(node.inputs[1] ?? '') ? 1 : constants.has(node.inputs[0] ?? '') ? 0 : -1;
  const constant = constantIndex >= 0 ? constants.get(node.inputs[constantIndex]!)! : undefined;
  // With a constant: one layer per map shape, its constant reordered once (shared by subscriptions).
  const layers = new Map<string, DenseMapLayer | null>();
  const constantLayer = (value: MapValue): DenseMapLayer | null => {
    const key = `${value.dims.join(',')}:${value.map.height}x${value.map.width}x${value.map.channels}`;
    if (!layers.has(key)) {
      const k = constantInMapOrder(value, constant!, `${node.opType} node '${node.name}'`);
      layers.set(key, k ? new DenseMapLayer(node.name, node.opType.toLowerCase(), (map) =>
        constantIndex === 1 ? map.data.map((x, i) => f(x, k[i]!)) : map.data.map((x, i) => f(k[i]!, x))) : null);
    }
    return layers.get(key)!;
  };
  return {
    node,
    createState: () => null,
    run: (_state, inputs, frame) => {
      const left = requireInput(node, inputs, 0);
      const right = requireInput(node, inputs, 1);
      if (constant) {
        const value = constantIndex === 1 ? left : right;
        const layer = value.kind === 'map' ? constantLayer(value) : null;
        return [layer ? runKeepingDims(layer, null, value as MapValue, frame) : dense(inputs)];
      }
      if (isImage(left) && isImage(right) && left.dims.length === 4 && right.dims.length === 4) {
        const started = performance.now();
        const result = broadcastMaps(left.map, right.map, f);
        if (result) {
          const stats = passStats(node.name, node.opType.toLowerCase(), 1, true, started);
          const map = deriveMap({ ...frame.meta, stats: [] }, result.data, result.height, result.width, result.channels, stats);
          frame.stats.push(stats);
          return [imageValue(map)];
        }
      }
      return [dense(inputs)];
    },
  };
}

/** BatchNormalization that could not be folded into a conv: a per-channel affine on the map. */
export function importBatchNorm(node: OnnxNode, ctx: ImportContext): GraphStep {
  const dense = denseFallback(node, ctx);
  const { scale, shift } = batchNormCoefficients(node, node.inputs.map((i) => ctx.graph.constants.get(i)));
  const layer = new DenseMapLayer(node.name, 'batchNorm', (map) => map.data.map((x, i) => x * scale[i % map.channels]! + shift[i % map.channels]!));
  return {
    node,
    createState: () => null,
    run: (_state, inputs, frame) => {
      const input = requireInput(node, inputs);
      if (isImage(input) && input.map.channels === scale.length) return [runLayer(layer, null, asImageMap(input, frame.meta, node.name), frame)];
      return [dense(inputs)];
    },
  };
}
