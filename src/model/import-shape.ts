/**
 * Layout operators. On maps they cost nothing where possible: Flatten/Reshape to `[1, K]` relabel
 * the map (a following Gemm reads HWC through permuted weights), an NCHW→NHWC Transpose of a map is
 * its HWC data as is, channel Softmax and channel Concat run on maps. Everything else becomes a
 * dense tensor in ONNX order (detection heads: cheap).
 */
import { concatMaps } from '../layers/merge.js';
import { SoftmaxLayer } from '../layers/shape-layers.js';
import type { OnnxNode } from './graph.js';
import { asImageMap, asTensor, isImage, reshapedMap, tensorValue, type MapValue, type Value } from './layout.js';
import { requireInput, runLayer, type GraphStep, type ImportContext, denseFallback } from './step.js';
import { flattenDims, reshapeDims, softmax, type SoftmaxMemo } from './tensor.js';


/** A map relabelled `[1, K]` needs no work: its ONNX order is still its NCHW order. */
const isRowVector = (dims: readonly number[]) => dims.length === 2 && dims[0] === 1;

export function importFlatten(node: OnnxNode, ctx: ImportContext): GraphStep {
  const dense = denseFallback(node, ctx);
  const axis = node.attributes.int('axis', 1);
  return {
    node,
    createState: () => null,
    run: (_s, inputs) => {
      const input = requireInput(node, inputs);
      const dims = flattenDims(input.dims, axis);
      return [input.kind === 'map' && isRowVector(dims) ? reshapedMap(input, dims) : dense(inputs)];
    },
  };
}

export function importReshape(node: OnnxNode, ctx: ImportContext): GraphStep {
  const dense = denseFallback(node, ctx);
  const allowZero = node.attributes.int('allowzero', 0) === 1;
  const shape = ctx.graph.opset < 5 ? node.attributes.ints('shape') : (() => {
    const t = ctx.graph.constants.get(node.inputs[1] ?? '');
    return t && Array.from(t.data);
  })();
  return {
    node,
    createState: () => null,
    run: (_s, inputs) => {
      const input = requireInput(node, inputs);
      if (input.kind === 'map' && shape) {
        const dims = reshapeDims(input.dims, shape, allowZero, `Reshape node '${node.name}'`);
        const { height, width, channels } = input.map;
        const sameImage = dims.length === 4 && dims[0] === 1 && dims[1] === channels && dims[2] === height && dims[3] === width;
        if (isRowVector(dims) || sameImage) return [reshapedMap(input, dims)];
      }
      return [dense(inputs)];
    },
  };
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

export function importConcat(node: OnnxNode, ctx: ImportContext): GraphStep {
  const dense = denseFallback(node, ctx);
  const axis = node.attributes.int('axis', 1);
  return {
    node,
    createState: () => null,
    run: (_s, inputs, frame) => {
      const values = inputs.filter((v): v is Value => v !== undefined);
      const rank = values[0]?.dims.length ?? 0;
      const channelAxis = (axis < 0 ? axis + rank : axis) === 1;
      const maps = values.every((v) => isImage(v) && v.dims.length === rank);
      if (channelAxis && maps && (rank === 4 || rank === 2)) {
        const out = concatMaps(node.name, values.map((v) => asImageMap(v, frame.meta, node.name)), []);
        frame.stats.push(...out.stats);
        const dims = rank === 4 ? [1, out.channels, out.height, out.width] : [1, out.channels];
        return [{ kind: 'map', map: out, dims }];
      }
      return [dense(inputs)];
    },
  };
}

