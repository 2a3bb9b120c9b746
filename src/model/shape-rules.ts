/**
 * Output dims of the operators that run on maps, from their input dims and constant inputs: what
 * shape folding (shape-folding.ts) needs to turn `Shape` of an intermediate map into a constant
 * without computing the map. Each rule is the `shape` entry of its operator's record in the
 * operator table; operators without one are evaluated on zeros when their inputs are small.
 */
import { resolveWindow } from '../kernels/geometry.js';
import { reducedAxes } from './dense-reduce.js';
import { resizePlan } from './dense-resize.js';
import { describeNode, reshapeTarget } from './dense-ops.js';
import { axesOf, normalizeAxis, padParameters, sliceGeometry, sliceParameters, splitSizes, squeezeDims, unsqueezeDims } from './dense-shape-ops.js';
import type { OnnxNode } from './graph.js';
import { paddingOf, pairAttribute } from './import-conv.js';
import { transposedGeometry } from './import-conv-transpose.js';
import { broadcastDims, flattenDims, reshapeDims, type Tensor } from './tensor.js';

/** What shape folding knows of a value: its dims, and its data when it is a constant. */
export interface ValueFacts {
  readonly dims: readonly number[];
  readonly constant?: Tensor;
}

/** Output dims per output (undefined: not known before run time). */
export type ShapeRule = (node: OnnxNode, inputs: readonly (ValueFacts | undefined)[], opset: number) => (readonly number[] | undefined)[];

const constants = (inputs: readonly (ValueFacts | undefined)[]) => inputs.map((v) => v?.constant);
const first = (inputs: readonly (ValueFacts | undefined)[]) => inputs[0]!.dims;

export const sameShape: ShapeRule = (_node, inputs) => [first(inputs)];

export const broadcastShape: ShapeRule = (node, inputs) => [
  inputs.filter((v): v is ValueFacts => v !== undefined).map((v) => v.dims).reduce((a, b) => broadcastDims(a, b, describeNode(node))),
];

function windowShape(node: OnnxNode, dims: readonly number[], channels: number, kernel: [number, number], ceilMode: boolean): number[] {
  const where = describeNode(node);
  const window = resolveWindow(dims[2]!, dims[3]!, {
    kernel,
    stride: pairAttribute(node.attributes, 'strides', 1, where),
    dilation: pairAttribute(node.attributes, 'dilations', 1, where),
    padding: paddingOf(node.attributes, where),
    ceilMode,
  });
  return [dims[0]!, channels, window.outHeight, window.outWidth];
}

export const convShape: ShapeRule = (node, inputs) => {
  const weight = inputs[1];
  if (!weight || weight.dims.length !== 4 || first(inputs).length !== 4) return [undefined];
  return [windowShape(node, first(inputs), weight.dims[0]!, [weight.dims[2]!, weight.dims[3]!], false)];
};

export const convTransposeShape: ShapeRule = (node, inputs) => {
  const weight = inputs[1];
  const dims = first(inputs);
  if (!weight || weight.dims.length !== 4 || dims.length !== 4) return [undefined];
  const g = transposedGeometry(node, [weight.dims[2]!, weight.dims[3]!], dims[2]!, dims[3]!);
  return [[dims[0]!, weight.dims[1]! * node.attributes.int('group', 1), g.outHeight, g.outWidth]];
};

export const poolShape: ShapeRule = (node, inputs) => {
  const kernel = node.attributes.ints('kernel_shape');
  const dims = first(inputs);
  if (!kernel || kernel.length !== 2 || dims.length !== 4) return [undefined];
  return [windowShape(node, dims, dims[1]!, [kernel[0]!, kernel[1]!], node.attributes.int('ceil_mode', 0) === 1)];
};

export const globalPoolShape: ShapeRule = (_node, inputs) => [first(inputs).map((d, k) => (k < 2 ? d : 1))];

export const resizeShape: ShapeRule = (node, inputs, opset) => {
  const known = node.inputs.slice(1).every((name, k) => !name || inputs[k + 1]?.constant);
  return [known ? resizePlan(node, opset, first(inputs), constants(inputs)).dims : undefined];
};

export const padShape: ShapeRule = (node, inputs, opset) => {
  const dims = first(inputs);
  const parameters = padParameters(node, opset, constants(inputs), dims.length);
  if (!parameters || parameters.pads.length !== 2 * dims.length) return [undefined];
  return [dims.map((d, k) => d + parameters.pads[k]! + parameters.pads[dims.length + k]!)];
};

export const sliceShape: ShapeRule = (node, inputs, opset) => {
  const parameters = sliceParameters(node, opset, constants(inputs));
  if (!parameters) return [undefined];
  return [sliceGeometry(first(inputs), parameters.starts, parameters.ends, parameters.axes, parameters.steps, describeNode(node)).dims];
};

export const splitShape: ShapeRule = (node, inputs, opset) => {
  const dims = first(inputs);
  if (opset >= 13 && node.inputs[1] && !inputs[1]?.constant) return node.outputs.map(() => undefined);
  const axis = normalizeAxis(node.attributes.int('axis', 0), dims.length, describeNode(node));
  return splitSizes(node, opset, dims[axis]!, inputs[1]?.constant).map((size) => dims.map((d, k) => (k === axis ? size : d)));
};

export const concatShape: ShapeRule = (node, inputs) => {
  const present = inputs.filter((v): v is ValueFacts => v !== undefined);
  const rank = present[0]!.dims.length;
  const axis = normalizeAxis(node.attributes.int('axis', 1), rank, describeNode(node));
  return [present[0]!.dims.map((d, k) => (k === axis ? present.reduce((n, v) => n + v.dims[axis]!, 0) : d))];
};

export const reshapeShape: ShapeRule = (node, inputs, opset) => {
  const shape = reshapeTarget(node, opset, inputs[1]?.constant);
  return [shape && reshapeDims(first(inputs), shape, node.attributes.int('allowzero', 0) === 1, describeNode(node))];
};

export const flattenShape: ShapeRule = (node, inputs) => [flattenDims(first(inputs), node.attributes.int('axis', 1))];

export const squeezeShape: ShapeRule = (node, inputs, opset) => {
  if (opset >= 13 && node.inputs[1] && !inputs[1]?.constant) return [undefined];
  const axes = axesOf(node, opset, 13, constants(inputs));
  if (node.opType === 'Squeeze') return [squeezeDims(first(inputs), axes, describeNode(node))];
  return [axes && unsqueezeDims(first(inputs), axes, describeNode(node))];
};

export const transposeShape: ShapeRule = (node, inputs) => {
  const dims = first(inputs);
  const perm = node.attributes.ints('perm') ?? dims.map((_, k) => dims.length - 1 - k);
  return [perm.map((p) => dims[p]!)];
};

export const reduceShape: ShapeRule = (node, inputs, opset) => {
  const dims = first(inputs);
  if (node.inputs[1] && !inputs[1]?.constant) return [undefined];
  const axes = reducedAxes(node, opset, constants(inputs), dims.length);
  if (!axes) return [dims];
  const keep = node.attributes.int('keepdims', 1) === 1;
  return [keep ? dims.map((d, k) => (axes.includes(k) ? 1 : d)) : dims.filter((_, k) => !axes.includes(k))];
};

export const spaceDepthShape: ShapeRule = (node, inputs) => {
  const [n, c, h, w] = first(inputs) as [number, number, number, number];
  const b = node.attributes.int('blocksize', 1);
  return [node.opType === 'DepthToSpace' ? [n, c / (b * b), h * b, w * b] : [n, c * b * b, h / b, w / b]];
};

export const expandShape: ShapeRule = (node, inputs) => {
  const shape = inputs[1]?.constant;
  return [shape && broadcastDims(first(inputs), Array.from(shape.data), describeNode(node))];
};

export const gatherShape: ShapeRule = (node, inputs) => {
  const dims = first(inputs);
  const indices = inputs[1];
  if (!indices) return [undefined];
  const axis = normalizeAxis(node.attributes.int('axis', 0), dims.length, describeNode(node));
  return [[...dims.slice(0, axis), ...indices.dims, ...dims.slice(axis + 1)]];
};

export const linearShape: ShapeRule = (node, inputs) => {
  const [a, b] = [inputs[0]!.dims, inputs[1]?.dims];
  if (!b) return [undefined];
  if (node.opType === 'Gemm') {
    const transA = node.attributes.int('transA', 0) === 1;
    const transB = node.attributes.int('transB', 0) === 1;
    return [[transA ? a[1]! : a[0]!, transB ? b[0]! : b[1]!]];
  }
  if (a.length < 2 || b.length < 2) return [undefined];
  const batch = broadcastDims(a.slice(0, -2), b.slice(0, -2), describeNode(node));
  return [[...batch, a[a.length - 2]!, b[b.length - 1]!]];
};
