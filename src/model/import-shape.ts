/**
 * Layout operators. On maps they cost nothing where possible: Flatten, Reshape, Squeeze and
 * Unsqueeze relabel the map (its ONNX value is its NCHW order under new dims; a following Gemm
 * reads HWC through permuted weights), an NCHW→NHWC Transpose of a map is its HWC data as is,
 * channel Softmax and channel Concat run on maps (Concat on the delta path). Everything else becomes
 * a dense tensor in ONNX order (detection heads: cheap).
 */
import { CONCAT_CHANNELS, MergeLayer } from '../layers/merge-layer.js';
import { SoftmaxLayer } from '../layers/shape-layers.js';
import { axesOf, squeezeDims, unsqueezeDims } from './dense-shape-ops.js';
import { reshapeTarget } from './dense-ops.js';
import type { OnnxNode } from './graph.js';
import { asImageMap, asTensor, isImage, reshapedMap, tensorValue, type MapValue, type Value } from './layout.js';
import { requireInput, runLayer, type GraphStep, type ImportContext, denseFallback } from './step.js';
import { flattenDims, reshapeDims, softmax, type SoftmaxMemo } from './tensor.js';

/**
 * A step that relabels a map under the dims `dimsOf` gives (no data moves) and computes anything
 * else densely; `dimsOf` returns undefined when the new dims depend on a value computed at run time.
 */
function relabelStep(node: OnnxNode, ctx: ImportContext, dimsOf: (dims: readonly number[]) => number[] | undefined): GraphStep {
  const dense = denseFallback(node, ctx);
  return {
    node,
    createState: () => null,
    run: (_s, inputs) => {
      const input = requireInput(node, inputs);
      const dims = input.kind === 'map' ? dimsOf(input.dims) : undefined;
      return [input.kind === 'map' && dims ? reshapedMap(input, dims) : dense(inputs)];
    },
  };
}

export function importFlatten(node: OnnxNode, ctx: ImportContext): GraphStep {
  const axis = node.attributes.int('axis', 1);
  return relabelStep(node, ctx, (dims) => flattenDims(dims, axis));
}

export function importReshape(node: OnnxNode, ctx: ImportContext): GraphStep {
  const allowZero = node.attributes.int('allowzero', 0) === 1;
  const shape = reshapeTarget(node, ctx.graph.opset, ctx.graph.constants.get(node.inputs[1] ?? ''));
  return relabelStep(node, ctx, (dims) => shape && reshapeDims(dims, shape, allowZero, `Reshape node '${node.name}'`));
}

export function importSqueeze(node: OnnxNode, ctx: ImportContext): GraphStep {
  const where = `${node.opType} node '${node.name}'`;
  const constant = (name: string | undefined) => (name ? ctx.graph.constants.get(name) : undefined);
  const axesInput = node.inputs[1];
  const axes = axesOf(node, ctx.graph.opset, 13, [undefined, constant(axesInput)]);
  const known = axes !== undefined || !axesInput; // Squeeze without axes drops every 1
  if (node.opType === 'Squeeze') return relabelStep(node, ctx, (dims) => (known ? squeezeDims(dims, axes, where) : undefined));
  return relabelStep(node, ctx, (dims) => axes && unsqueezeDims(dims, axes, where));
}

export function importTranspose(node: OnnxNode, ctx: ImportContext): GraphStep {
  const dense = denseFallback(node, ctx);
  const perm = node.attributes.ints('perm');
  const toChannelsLast = perm?.length === 4 && perm.join() === '0,2,3,1';
  return {
    node,
    createState: () => null,
    run: (_s, inputs) => {
      const input = requireInput(node, inputs);
      if (toChannelsLast && isImage(input) && input.dims.length === 4) {
        const { map } = input;
        return [tensorValue({ dims: [1, map.height, map.width, map.channels], data: map.data })];
      }
      return [dense(inputs)];
    },
  };
}

/** Per subscription: the dense path's last input and output (copies: neither may change under it). */
interface SoftmaxState {
  memo: SoftmaxMemo | undefined;
}

export function importSoftmax(node: OnnxNode, ctx: ImportContext): GraphStep<SoftmaxState> {
  const opset = ctx.graph.opset;
  const axis = node.attributes.int('axis', opset < 13 ? 1 : -1);
  const layer = new SoftmaxLayer(node.name);
  /** When ONNX's softmax is exactly "over the channels of each pixel". */
  const overChannels = (value: MapValue) => {
    const rank = value.dims.length;
    const a = axis < 0 ? axis + rank : axis;
    if (rank === 2) return a === 1 && value.map.height * value.map.width === 1;
    return rank === 4 && a === 1 && opset >= 13;
  };
  return {
    node,
    createState: () => ({ memo: undefined }),
    run: (state, inputs, frame) => {
      const input = requireInput(node, inputs);
      if (isImage(input) && overChannels(input)) {
        const out = runLayer(layer, null, asImageMap(input, frame.meta, node.name), frame);
        return [{ ...out, dims: input.dims } as Value];
      }
      const tensor = asTensor(input);
      const result = softmax(tensor, axis, opset, state.memo);
      state.memo = { input: tensor.data.slice(), output: result.data.slice() };
      return [tensorValue(result)];
    },
  };
}

export function importConcat(node: OnnxNode, ctx: ImportContext): GraphStep<ReturnType<MergeLayer['createState']>> {
  const dense = denseFallback(node, ctx);
  const axis = node.attributes.int('axis', 1);
  const layer = new MergeLayer(node.name, 'concat', CONCAT_CHANNELS, true);
  return {
    node,
    createState: () => layer.createState(),
    run: (state, inputs, frame) => {
      const values = inputs.filter((v): v is Value => v !== undefined);
      const rank = values[0]?.dims.length ?? 0;
      const channelAxis = (axis < 0 ? axis + rank : axis) === 1;
      const maps = values.every((v) => isImage(v) && v.dims.length === rank);
      if (channelAxis && maps && (rank === 4 || rank === 2)) {
        const out = layer.step(state, values.map((v) => asImageMap(v, frame.meta, node.name)), { ...frame.meta, stats: [] });
        frame.stats.push(...out.stats);
        const dims = rank === 4 ? [1, out.channels, out.height, out.width] : [1, out.channels];
        return [{ kind: 'map', map: out, dims }];
      }
      return [dense(inputs)];
    },
  };
}

/** Cast: on a map, to a float type, nothing changes; anything else (shape arithmetic) runs densely. */
export function importCast(node: OnnxNode, ctx: ImportContext): GraphStep {
  const dense = denseFallback(node, ctx);
  const toFloat = [1, 10, 11, 16].includes(node.attributes.int('to', 1)); // FLOAT, FLOAT16, DOUBLE, BFLOAT16
  return {
    node,
    createState: () => null,
    run: (_s, inputs) => {
      const input = requireInput(node, inputs);
      return [input.kind === 'map' && toFloat ? input : dense(inputs)];
    },
  };
}
