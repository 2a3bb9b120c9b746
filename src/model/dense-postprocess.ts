/**
 * Post-processing operators of detection models (TopK, NonZero, GatherND, NonMaxSuppression):
 * data-dependent output shapes, so they only ever run densely, after the last map. Each export is
 * the `dense` entry of its operator's record in the operator table.
 */
import { describeNode, integers, requireTensor, type DenseFactory } from './dense-ops.js';
import { normalizeAxis } from './dense-shape-ops.js';
import { ModelImportError } from './errors.js';
import { nonMaximumSuppression, type Corners } from './nms.js';
import { allocate, sizeOf, stridesOf, tensorOf } from './tensor.js';

export const denseTopK: DenseFactory = (node, opset) => {
  const where = describeNode(node);
  const largest = node.attributes.int('largest', 1) === 1;
  return (inputs) => {
    const t = requireTensor(node, inputs);
    const axis = normalizeAxis(node.attributes.int('axis', -1), t.dims.length, where);
    const k = opset < 10 ? node.attributes.int('k', 0) : requireTensor(node, inputs, 1).data[0]!;
    const size = t.dims[axis]!;
    if (k < 0 || k > size) throw new ModelImportError(`${where}: k = ${k} for an axis of ${size}`);
    const inner = sizeOf(t.dims.slice(axis + 1));
    const outer = sizeOf(t.dims.slice(0, axis));
    const dims = t.dims.map((d, a) => (a === axis ? k : d));
    const values = new Float32Array(sizeOf(dims));
    const indices = new Float32Array(values.length);
    const order = new Array<number>(size);
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        const at = (j: number) => t.data[(o * size + j) * inner + i]!;
        for (let j = 0; j < size; j++) order[j] = j;
        order.sort((a, b) => (largest ? at(b) - at(a) : at(a) - at(b)) || a - b);
        for (let j = 0; j < k; j++) {
          values[(o * k + j) * inner + i] = at(order[j]!);
          indices[(o * k + j) * inner + i] = order[j]!;
        }
      }
    }
    return [tensorOf(dims, values, t.integer), tensorOf(dims, indices, true)];
  };
};

export const denseNonZero: DenseFactory = (node) => (inputs) => {
  const t = requireTensor(node, inputs);
  const strides = stridesOf(t.dims);
  const positions: number[] = [];
  t.data.forEach((v, i) => v !== 0 && positions.push(i));
  const rank = Math.max(1, t.dims.length);
  const data = new Float32Array(rank * positions.length);
  positions.forEach((p, n) => {
    for (let k = 0; k < t.dims.length; k++) data[k * positions.length + n] = Math.floor(p / strides[k]!) % t.dims[k]!;
  });
  return [tensorOf([rank, positions.length], data, true)];
};

export const denseGatherND: DenseFactory = (node, _opset, _constant, maxElements) => {
  const where = describeNode(node);
  if (node.attributes.int('batch_dims', 0) !== 0) throw new ModelImportError(`${where}: batch_dims other than 0 is not supported`);
  return (inputs) => {
    const data = requireTensor(node, inputs);
    const indices = requireTensor(node, inputs, 1);
    const depth = indices.dims[indices.dims.length - 1] ?? 0;
    const sliceDims = data.dims.slice(depth);
    const slice = sizeOf(sliceDims);
    const count = sizeOf(indices.dims.slice(0, -1));
    const strides = stridesOf(data.dims);
    const outDims = [...indices.dims.slice(0, -1), ...sliceDims];
    const out = allocate(outDims, where, maxElements);
    for (let n = 0; n < count; n++) {
      let offset = 0;
      for (let k = 0; k < depth; k++) {
        let index = Math.trunc(indices.data[n * depth + k]!);
        if (index < 0) index += data.dims[k]!;
        if (index < 0 || index >= data.dims[k]!) throw new ModelImportError(`${where}: index ${index} out of range for axis ${k}`);
        offset += index * strides[k]!;
      }
      out.set(data.data.subarray(offset, offset + slice), n * slice);
    }
    return [tensorOf(outDims, out, data.integer)];
  };
};

export const denseNonMaxSuppression: DenseFactory = (node) => {
  const centered = node.attributes.int('center_point_box', 0) === 1;
  return (inputs) => {
    const boxes = requireTensor(node, inputs);
    const scores = requireTensor(node, inputs, 1);
    const limit = inputs[2] ? integers(inputs[2])[0]! : 0;
    const iouThreshold = inputs[3]?.data[0] ?? 0;
    const scoreThreshold = inputs[4]?.data[0];
    const [batches, classes, count] = scores.dims as [number, number, number];
    const selected: number[] = [];
    for (let b = 0; b < batches; b++) {
      const corners: Corners[] = [];
      for (let n = 0; n < count; n++) {
        const [p, q, r, s] = Array.from(boxes.data.subarray((b * count + n) * 4, (b * count + n + 1) * 4));
        corners.push(centered
          ? { x1: p! - r! / 2, y1: q! - s! / 2, x2: p! + r! / 2, y2: q! + s! / 2 }
          : { x1: Math.min(q!, s!), y1: Math.min(p!, r!), x2: Math.max(q!, s!), y2: Math.max(p!, r!) });
      }
      for (let c = 0; c < classes; c++) {
        const classScores = scores.data.subarray((b * classes + c) * count, (b * classes + c + 1) * count);
        const candidates = Array.from({ length: count }, (_, n) => n).filter((n) => scoreThreshold === undefined || classScores[n]! > scoreThreshold);
        const kept = nonMaximumSuppression(candidates.map((n) => corners[n]!), candidates.map((n) => classScores[n]!), iouThreshold, { limit });
        for (const k of kept) selected.push(b, c, candidates[k]!);
      }
    }
    return [tensorOf([selected.length / 3, 3], Float32Array.from(selected), true)];
  };
};
