/**
 * Reductions on dense ONNX-order tensors (ReduceMean, ReduceMax, ..., ArgMax, global pools): for
 * the non-spatial tail and constant folding. Over a map's H and W, ReduceMean and ReduceMax run on
 * the map itself (src/layers/spatial-reduce-layer.ts). Each export is the `dense` entry of its
 * operator's record in the operator table.
 */
import { describeNode, requireTensor, type DenseFactory } from './dense-ops.js';
import { axesOf, normalizeAxis } from './dense-shape-ops.js';
import type { OnnxNode } from './graph.js';
import { sizeOf, stridesOf, tensorOf, type Tensor } from './tensor.js';

interface Reduction {
  readonly initial: number;
  readonly add: (accumulator: number, x: number) => number;
  readonly finish: (accumulator: number, count: number) => number;
  /** Whether integers reduce to integers (sums, extremes, products). */
  readonly integral?: boolean;
}

const REDUCTIONS: Readonly<Record<string, Reduction>> = {
  ReduceMean: { initial: 0, add: (s, x) => s + x, finish: (s, n) => s / n },
  ReduceSum: { initial: 0, add: (s, x) => s + x, finish: (s) => s, integral: true },
  ReduceMax: { initial: -Infinity, add: Math.max, finish: (s) => s, integral: true },
  ReduceMin: { initial: Infinity, add: Math.min, finish: (s) => s, integral: true },
  ReduceProd: { initial: 1, add: (s, x) => s * x, finish: (s) => s, integral: true },
  ReduceL1: { initial: 0, add: (s, x) => s + Math.abs(x), finish: (s) => s, integral: true },
  ReduceL2: { initial: 0, add: (s, x) => s + x * x, finish: (s) => Math.sqrt(s) },
  ReduceSumSquare: { initial: 0, add: (s, x) => s + x * x, finish: (s) => s, integral: true },
  ReduceLogSum: { initial: 0, add: (s, x) => s + x, finish: (s) => Math.log(s) },
  ReduceLogSumExp: { initial: 0, add: (s, x) => s + Math.exp(x), finish: (s) => Math.log(s) },
};

export const REDUCE_OPERATORS: readonly string[] = Object.keys(REDUCTIONS);

/** The opset from which a reduction takes its axes as an input instead of an attribute. */
export const axesInputFrom = (opType: string): number => (opType === 'ReduceSum' ? 13 : 18);

/** The axes a reduce node reduces (sorted, in [0, rank)), or undefined for "none" (noop_with_empty_axes). */
export function reducedAxes(node: OnnxNode, opset: number, inputs: readonly (Tensor | undefined)[], rank: number): number[] | undefined {
  const listed = axesOf(node, opset, axesInputFrom(node.opType), inputs);
  if (!listed || listed.length === 0) {
    return node.attributes.int('noop_with_empty_axes', 0) === 1 ? undefined : Array.from({ length: rank }, (_, k) => k);
  }
  return [...new Set(listed.map((a) => normalizeAxis(a, rank, describeNode(node))))].sort((a, b) => a - b);
}

/** Reduces `t` over `axes` with `reduction`; accumulation in double precision. */
export function reduceTensor(t: Tensor, axes: readonly number[], reduction: Reduction, keepDims: boolean): Tensor {
  const reduced = new Set(axes);
  const keptDims = t.dims.map((d, k) => (reduced.has(k) ? 1 : d));
  const outStrides = stridesOf(keptDims);
  const count = sizeOf(axes.map((a) => t.dims[a]!));
  const accumulators = new Float64Array(sizeOf(keptDims)).fill(reduction.initial);
  const strides = stridesOf(t.dims);
  for (let i = 0; i < t.data.length; i++) {
    let o = 0;
    for (let k = 0; k < t.dims.length; k++) if (!reduced.has(k)) o += (Math.floor(i / strides[k]!) % t.dims[k]!) * outStrides[k]!;
    accumulators[o] = reduction.add(accumulators[o]!, t.data[i]!);
  }
  const data = Float32Array.from(accumulators, (s) => reduction.finish(s, count));
  return tensorOf(keepDims ? keptDims : t.dims.filter((_, k) => !reduced.has(k)), data, t.integer === true && reduction.integral === true);
}

export const denseReduce: DenseFactory = (node, opset) => {
  const reduction = REDUCTIONS[node.opType]!;
  const keepDims = node.attributes.int('keepdims', 1) === 1;
  return (inputs) => {
    const t = requireTensor(node, inputs);
    const axes = reducedAxes(node, opset, inputs, t.dims.length);
    if (!axes) return [t];
    return [reduceTensor(t, axes, reduction, keepDims)];
  };
};

/** GlobalAveragePool / GlobalMaxPool: over every axis after N and C, kept as 1s. */
export const denseGlobalPool: DenseFactory = (node) => {
  const reduction = node.opType === 'GlobalMaxPool' ? REDUCTIONS.ReduceMax! : REDUCTIONS.ReduceMean!;
  return (inputs) => {
    const t = requireTensor(node, inputs);
    return [reduceTensor(t, t.dims.map((_, k) => k).slice(2), reduction, true)];
  };
};

export const denseArgExtreme: DenseFactory = (node) => {
  const where = describeNode(node);
  const largest = node.opType === 'ArgMax';
  const keepDims = node.attributes.int('keepdims', 1) === 1;
  const last = node.attributes.int('select_last_index', 0) === 1;
  return (inputs) => {
    const t = requireTensor(node, inputs);
    const axis = normalizeAxis(node.attributes.int('axis', 0), t.dims.length, where);
    const size = t.dims[axis]!;
    const inner = sizeOf(t.dims.slice(axis + 1));
    const outer = sizeOf(t.dims.slice(0, axis));
    const data = new Float32Array(outer * inner);
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        let best = 0;
        for (let k = 1; k < size; k++) {
          const x = t.data[(o * size + k) * inner + i]!;
          const b = t.data[(o * size + best) * inner + i]!;
          if (largest ? x > b || (last && x === b) : x < b || (last && x === b)) best = k;
        }
        data[o * inner + i] = best;
      }
    }
    const dims = keepDims ? t.dims.map((d, k) => (k === axis ? 1 : d)) : t.dims.filter((_, k) => k !== axis);
    return [tensorOf(dims, data, true)];
  };
};
