/**
 * Element-wise operators on maps, all on the delta path (a changed pixel recomputes only itself):
 * core activations, other unary functions (Tanh, Exp, SiLU, Mish, ...), arithmetic with a constant
 * (Pow by 2, an unfolded affine), arithmetic of two maps with broadcasting (residual Add,
 * squeeze-excite gating Mul), and unfolded BatchNormalization. Anything that is not a map runs on
 * dense tensors.
 */
import { ActivationLayer } from '../layers/activation-layer.js';
import { ElementwiseLayer, type ElementFunction } from '../layers/elementwise-layer.js';
import type { Layer } from '../layers/layer.js';
import { broadcastPair, MergeLayer } from '../layers/merge-layer.js';
import { batchNormCoefficients } from './dense-ops.js';
import { binaryOf, unaryOf } from './elementwise-functions.js';
import type { OnnxNode } from './graph.js';
import { asImageMap, imageValue, isImage, nchwToHwc, type MapValue, type Value } from './layout.js';
import { denseFallback, requireInput, runLayer, type FrameContext, type GraphStep, type ImportContext } from './step.js';
import { broadcastDims, expandTo, sizeOf, type Tensor } from './tensor.js';

/** Runs a layer on a map value keeping its ONNX dims (element-wise layers do not care about layout). */
function runKeepingDims<S>(layer: Layer<S>, state: S, value: MapValue, frame: FrameContext): Value {
  const map = value.map.stats.length === 0 ? value.map : { ...value.map, stats: [] };
  const out = runLayer(layer, state, map, frame) as MapValue;
  return { kind: 'map', map: out.map, dims: value.dims };
}

/** A single-input layer on maps, dense tensors otherwise. */
function mapLayerStep<S>(node: OnnxNode, ctx: ImportContext, layer: Layer<S>): GraphStep<S> {
  const dense = denseFallback(node, ctx);
  return {
    node,
    createState: () => layer.createState(),
    run: (state, inputs, frame) => {
      const input = requireInput(node, inputs);
      return [input.kind === 'map' ? runKeepingDims(layer, state, input, frame) : dense(inputs)];
    },
  };
}

export function importUnary(node: OnnxNode, ctx: ImportContext): GraphStep {
  const unary = unaryOf(node, (name) => ctx.graph.constants.get(name));
  if (unary.kind === 'core' && unary.activation === 'none') {
    return { node, createState: () => null, run: (_s, inputs) => [requireInput(node, inputs)] };
  }
  if (unary.kind === 'core') return mapLayerStep(node, ctx, new ActivationLayer(node.name, unary.activation, unary.alpha, true));
  const f = unary.f;
  return mapLayerStep(node, ctx, new ElementwiseLayer(node.name, unary.label, (x) => f(x), true));
}

/** The constant expanded to the map value's ONNX dims and reordered to its HWC storage. */
function constantInMapOrder(value: MapValue, constant: Tensor, where: string): Float32Array | undefined {
  const dims = broadcastDims(value.dims, constant.dims, where);
  if (sizeOf(dims) !== value.map.data.length || dims.length !== value.dims.length) return undefined; // the constant would enlarge the map
  const { height, width, channels } = value.map;
  return nchwToHwc(expandTo(constant, dims), channels, height, width);
}

interface BinaryState {
  /** With a constant operand: the layer for the current map shape and this subscription's state of it. */
  key: string | undefined;
  layer: ElementwiseLayer | undefined;
  layerState: unknown;
  /** Of two maps. */
  pairState: ReturnType<MergeLayer['createState']>;
}

export function importBinary(node: OnnxNode, ctx: ImportContext): GraphStep<BinaryState> {
  const where = `${node.opType} node '${node.name}'`;
  const { f } = binaryOf(node);
  const dense = denseFallback(node, ctx);
  const constants = ctx.graph.constants;
  const constantIndex = node.inputs.length !== 2 ? -1 : constants.has(node.inputs[1]!) ? 1 : constants.has(node.inputs[0]!) ? 0 : -1;
  const constant = constantIndex >= 0 ? constants.get(node.inputs[constantIndex]!)! : undefined;
  // With a constant: one layer per map shape, its constant reordered once (shared by subscriptions).
  const layers = new Map<string, ElementwiseLayer | null>();
  const constantLayer = (value: MapValue, key: string): ElementwiseLayer | null => {
    if (!layers.has(key)) {
      const k = constantInMapOrder(value, constant!, where);
      const g: ElementFunction | undefined = k && (constantIndex === 1 ? (x, i) => f(x, k[i]!) : (x, i) => f(k[i]!, x));
      layers.set(key, g ? new ElementwiseLayer(node.name, node.opType.toLowerCase(), g, true) : null);
    }
    return layers.get(key)!;
  };
  const pair = new MergeLayer(node.name, node.opType.toLowerCase(), broadcastPair(f), true);
  return {
    node,
    createState: () => ({ key: undefined, layer: undefined, layerState: undefined, pairState: pair.createState() }),
    run: (state, inputs, frame) => {
      if (inputs.filter(Boolean).length !== 2) return [dense(inputs)];
      const left = requireInput(node, inputs, 0);
      const right = requireInput(node, inputs, 1);
      if (constant) {
        const value = constantIndex === 1 ? left : right;
        if (value.kind !== 'map') return [dense(inputs)];
        const key = `${value.dims.join(',')}:${value.map.height}x${value.map.width}x${value.map.channels}`;
        const layer = constantLayer(value, key);
        if (!layer) return [dense(inputs)];
        if (state.key !== key) Object.assign(state, { key, layer, layerState: layer.createState() });
        return [runKeepingDims(layer, state.layerState as ReturnType<ElementwiseLayer['createState']>, value, frame)];
      }
      if (isImage(left) && isImage(right) && left.dims.length === 4 && right.dims.length === 4) {
        const maps = [asImageMap(left, frame.meta, where), asImageMap(right, frame.meta, where)];
        const shape = { a: maps[0]!, b: maps[1]! };
        const broadcasts = [shape.a.height, shape.a.width, shape.a.channels].every((d, k) => {
          const e = [shape.b.height, shape.b.width, shape.b.channels][k]!;
          return d === e || d === 1 || e === 1;
        });
        if (broadcasts) {
          const out = pair.step(state.pairState, maps, { ...frame.meta, stats: [] });
          frame.stats.push(...out.stats);
          return [imageValue(out)];
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
  const channels = scale.length;
  const layer = new ElementwiseLayer(node.name, 'batchNorm', (x, i) => x * scale[i % channels]! + shift[i % channels]!, true);
  return {
    node,
    createState: () => layer.createState(),
    run: (state, inputs, frame) => {
      const input = requireInput(node, inputs);
      if (isImage(input) && input.map.channels === channels) return [runLayer(layer, state, asImageMap(input, frame.meta, node.name), frame)];
      return [dense(inputs)];
    },
  };
}
