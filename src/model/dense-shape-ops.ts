/**
 * Operators that compute shapes and move elements around on dense ONNX-order tensors: the shape
 * arithmetic exporters emit (`x.size()`, `view(b, -1, ...)`, anchors from `arange`), folded to
 * constants at load (shape-folding.ts), and the same operators on the non-spatial tail at run time.
 * Each export is the `dense` entry of its operator's record in the operator table.
 */
import { padSource, type PadMode } from '../layers/pad-layer.js';
import { describeNode, integers, requireTensor, type DenseFactory } from './dense-ops.js';
import { ModelImportError } from './errors.js';
import type { OnnxNode } from './graph.js';
import { onnx } from './onnx-proto.js';
import { allocate, broadcastDims, checkElements, expandTo, sizeOf, stridesOf, tensorOf, type Tensor } from './tensor.js';

/** `axis` in [0, rank), negative counted from the end; throws otherwise. */
export function normalizeAxis(axis: number, rank: number, where: string): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) throw new ModelImportError(`${where}: axis ${axis} is out of range for rank ${rank}`);
  return a;
}

/** Elements of `t` at `start[k] + i·step[k]` along every axis, for `i` in [0, dims[k]). */
export function stridedView(t: Tensor, start: readonly number[], step: readonly number[], dims: readonly number[]): Tensor {
  const rank = dims.length;
  const strides = stridesOf(t.dims);
  const data = new Float32Array(sizeOf(dims));
  if (data.length === 0) return tensorOf(dims, data, t.integer);
  const index = new Array<number>(rank).fill(0);
  let source = start.reduce((s, v, k) => s + v * strides[k]!, 0);
  for (let i = 0; i < data.length; i++) {
    data[i] = t.data[source]!;
    for (let k = rank - 1; k >= 0; k--) {
      index[k]!++;
      source += step[k]! * strides[k]!;
      if (index[k]! < dims[k]!) break;
      source -= step[k]! * strides[k]! * dims[k]!;
      index[k] = 0;
    }
  }
  return tensorOf(dims, data, t.integer);
}

export const denseShape: DenseFactory = (node) => {
  const start = node.attributes.int('start', 0);
  const end = node.attributes.has('end') ? node.attributes.int('end', 0) : undefined;
  return (inputs) => {
    const dims = requireTensor(node, inputs).dims;
    const clamp = (v: number) => Math.min(dims.length, Math.max(0, v < 0 ? v + dims.length : v));
    const picked = dims.slice(clamp(start), end === undefined ? dims.length : clamp(end));
    return [tensorOf([picked.length], Float32Array.from(picked), true)];
  };
};

/** Shape's dims for `start`/`end` (opset 15), for shape folding without a tensor. */
export function shapeOfDims(node: OnnxNode, dims: readonly number[]): number[] {
  return Array.from(denseShape(node, 15, () => undefined, 0)([tensorOf(dims, new Float32Array(0))])[0]!.data);
}

export const denseSize: DenseFactory = (node) => (inputs) => [tensorOf([], Float32Array.of(sizeOf(requireTensor(node, inputs).dims)), true)];

export const denseGather: DenseFactory = (node, _opset, _constant, maxElements) => {
  const where = describeNode(node);
  const axisAttribute = node.attributes.int('axis', 0);
  return (inputs) => {
    const data = requireTensor(node, inputs);
    const indices = requireTensor(node, inputs, 1);
    const axis = normalizeAxis(axisAttribute, data.dims.length, where);
    const size = data.dims[axis]!;
    const outer = sizeOf(data.dims.slice(0, axis));
    const inner = sizeOf(data.dims.slice(axis + 1));
    const dims = [...data.dims.slice(0, axis), ...indices.dims, ...data.dims.slice(axis + 1)];
    const out = allocate(dims, where, maxElements);
    for (let o = 0; o < outer; o++) {
      for (let j = 0; j < indices.data.length; j++) {
        let index = Math.trunc(indices.data[j]!);
        if (index < 0) index += size;
        if (index < 0 || index >= size) throw new ModelImportError(`${where}: index ${indices.data[j]} is out of range for axis ${axis} of size ${size}`);
        out.set(data.data.subarray((o * size + index) * inner, (o * size + index + 1) * inner), (o * indices.data.length + j) * inner);
      }
    }
    return [tensorOf(dims, out, data.integer)];
  };
};

/** Start, step and length per axis of an ONNX Slice over `dims`. */
export interface SliceGeometry {
  readonly start: number[];
  readonly step: number[];
  readonly dims: number[];
}

/** ONNX Slice semantics: negative indices count from the end, then clamp to the axis (differently for negative steps). */
export function sliceGeometry(dims: readonly number[], starts: readonly number[], ends: readonly number[], axes: readonly number[] | undefined, steps: readonly number[] | undefined, where: string): SliceGeometry {
  const start = dims.map(() => 0);
  const step = dims.map(() => 1);
  const out = [...dims];
  starts.forEach((s, k) => {
    const axis = normalizeAxis(axes?.[k] ?? k, dims.length, where);
    const size = dims[axis]!;
    const stride = steps?.[k] ?? 1;
    if (stride === 0) throw new ModelImportError(`${where}: a step of 0`);
    const resolve = (v: number) => (v < 0 ? v + size : v);
    let first = resolve(s);
    let last = resolve(ends[k]!);
    if (stride > 0) {
      first = Math.min(Math.max(first, 0), size);
      last = Math.min(Math.max(last, 0), size);
    } else {
      first = Math.min(Math.max(first, 0), size - 1);
      last = Math.min(Math.max(last, -1), size - 1);
    }
    start[axis] = first;
    step[axis] = stride;
    out[axis] = Math.max(0, Math.ceil((last - first) / stride));
  });
  return { start, step, dims: out };
}

/** Starts, ends, axes and steps of a Slice node: attributes before opset 10, inputs from then on. */
export function sliceParameters(node: OnnxNode, opset: number, inputs: readonly (Tensor | undefined)[]): { starts: number[]; ends: number[]; axes: number[] | undefined; steps: number[] | undefined } | undefined {
  if (opset < 10) {
    const a = node.attributes;
    const starts = a.ints('starts');
    const ends = a.ints('ends');
    return starts && ends ? { starts, ends, axes: a.ints('axes'), steps: undefined } : undefined;
  }
  const [, starts, ends, axes, steps] = inputs;
  if (!starts || !ends) return undefined;
  return { starts: integers(starts), ends: integers(ends), axes: axes && integers(axes), steps: steps && integers(steps) };
}

export const denseSlice: DenseFactory = (node, opset) => {
  const where = describeNode(node);
  return (inputs) => {
    const t = requireTensor(node, inputs);
    const parameters = sliceParameters(node, opset, inputs);
    if (!parameters) throw new ModelImportError(`${where}: starts and ends are missing`);
    const { starts, ends, axes, steps } = parameters;
    const geometry = sliceGeometry(t.dims, starts, ends, axes, steps, where);
    return [stridedView(t, geometry.start, geometry.step, geometry.dims)];
  };
};

/** The axes of Squeeze/Unsqueeze/Reduce*: an attribute before `inputFrom`, then an optional input. */
export function axesOf(node: OnnxNode, opset: number, inputFrom: number, inputs: readonly (Tensor | undefined)[]): number[] | undefined {
  if (opset < inputFrom) return node.attributes.ints('axes');
  const t = inputs[1];
  return t && integers(t);
}

export const denseSqueeze: DenseFactory = (node, opset) => {
  const where = describeNode(node);
  return (inputs) => {
    const t = requireTensor(node, inputs);
    return [tensorOf(squeezeDims(t.dims, axesOf(node, opset, 13, inputs), where), t.data, t.integer)];
  };
};

export function squeezeDims(dims: readonly number[], axes: readonly number[] | undefined, where: string): number[] {
  if (!axes || axes.length === 0) return dims.filter((d) => d !== 1);
  const drop = new Set(axes.map((a) => normalizeAxis(a, dims.length, where)));
  for (const a of drop) if (dims[a] !== 1) throw new ModelImportError(`${where}: cannot squeeze axis ${a} of size ${dims[a]}`);
  return dims.filter((_, k) => !drop.has(k));
}

export function unsqueezeDims(dims: readonly number[], axes: readonly number[], where: string): number[] {
  const rank = dims.length + axes.length;
  const inserted = new Set(axes.map((a) => normalizeAxis(a, rank, where)));
  const out: number[] = [];
  let next = 0;
  for (let k = 0; k < rank; k++) out.push(inserted.has(k) ? 1 : dims[next++]!);
  return out;
}

export const denseUnsqueeze: DenseFactory = (node, opset) => {
  const where = describeNode(node);
  return (inputs) => {
    const t = requireTensor(node, inputs);
    const axes = axesOf(node, opset, 13, inputs);
    if (!axes) throw new ModelImportError(`${where}: axes are missing`);
    return [tensorOf(unsqueezeDims(t.dims, axes, where), t.data, t.integer)];
  };
};

const { DataType } = onnx.TensorProto;
const FLOAT_TYPES: readonly number[] = [DataType.FLOAT, DataType.DOUBLE, DataType.FLOAT16, DataType.BFLOAT16];

export const denseCast: DenseFactory = (node) => {
  const to = node.attributes.int('to', DataType.FLOAT);
  return (inputs) => {
    const t = requireTensor(node, inputs);
    if (FLOAT_TYPES.includes(to)) return [tensorOf(t.dims, t.data)];
    if (to === DataType.BOOL) return [tensorOf(t.dims, t.data.map((v) => (v !== 0 ? 1 : 0)), true)];
    if (to === DataType.STRING) throw new ModelImportError(`${describeNode(node)}: casts to strings are not supported`);
    return [tensorOf(t.dims, t.integer ? t.data : t.data.map(Math.trunc), true)];
  };
};

export const denseConstantOfShape: DenseFactory = (node, _opset, _constant, maxElements) => {
  const value = node.attributes.tensor('value');
  return (inputs) => {
    const dims = integers(requireTensor(node, inputs));
    return [tensorOf(dims, allocate(dims, describeNode(node), maxElements).fill(value?.data[0] ?? 0), value?.integer === true)];
  };
};

export const denseRange: DenseFactory = (node, _opset, _constant, maxElements) => (inputs) => {
  const [start, limit, delta] = [0, 1, 2].map((k) => requireTensor(node, inputs, k)) as [Tensor, Tensor, Tensor];
  const [s, l, d] = [start.data[0]!, limit.data[0]!, delta.data[0]!];
  const count = Math.max(Math.ceil((l - s) / d), 0);
  checkElements([count], describeNode(node), maxElements);
  return [tensorOf([count], Float32Array.from({ length: count }, (_, k) => s + k * d), start.integer)];
};

export const denseExpand: DenseFactory = (node, _opset, _constant, maxElements) => (inputs) => {
  const t = requireTensor(node, inputs);
  const dims = broadcastDims(t.dims, integers(requireTensor(node, inputs, 1)), describeNode(node));
  checkElements(dims, describeNode(node), maxElements);
  return [tensorOf(dims, expandTo(t, dims), t.integer)];
};

export const denseWhere: DenseFactory = (node, _opset, _constant, maxElements) => (inputs) => {
  const where = describeNode(node);
  const [condition, x, y] = [0, 1, 2].map((k) => requireTensor(node, inputs, k)) as [Tensor, Tensor, Tensor];
  const dims = broadcastDims(broadcastDims(condition.dims, x.dims, where), y.dims, where);
  checkElements(dims, where, maxElements);
  const [c, a, b] = [condition, x, y].map((t) => expandTo(t, dims)) as [Float32Array, Float32Array, Float32Array];
  return [tensorOf(dims, c.map((v, i) => (v !== 0 ? a[i]! : b[i]!)), x.integer === true && y.integer === true)];
};

export const denseTile: DenseFactory = (node, _opset, _constant, maxElements) => (inputs) => {
  const t = requireTensor(node, inputs);
  const repeats = integers(requireTensor(node, inputs, 1));
  if (repeats.length !== t.dims.length) throw new ModelImportError(`${describeNode(node)}: ${repeats.length} repeats for rank ${t.dims.length}`);
  const dims = t.dims.map((d, k) => d * repeats[k]!);
  const strides = stridesOf(t.dims);
  const outStrides = stridesOf(dims);
  const data = allocate(dims, describeNode(node), maxElements);
  for (let i = 0; i < data.length; i++) {
    let source = 0;
    for (let k = 0; k < dims.length; k++) source += (Math.floor(i / outStrides[k]!) % dims[k]! % t.dims[k]!) * strides[k]!;
    data[i] = t.data[source]!;
  }
  return [tensorOf(dims, data, t.integer)];
};

/** The sizes a Split produces along its axis: from the attribute (< 13) or input, else equal parts (the last smaller from opset 18). */
export function splitSizes(node: OnnxNode, opset: number, length: number, splitInput: Tensor | undefined): number[] {
  const explicit = opset < 13 ? node.attributes.ints('split') : splitInput && integers(splitInput);
  const where = describeNode(node);
  if (explicit && explicit.length > 0) {
    if (explicit.reduce((a, b) => a + b, 0) !== length) throw new ModelImportError(`${where}: split [${explicit.join(', ')}] does not add up to ${length}`);
    return explicit;
  }
  const parts = node.attributes.int('num_outputs', node.outputs.length);
  const size = Math.ceil(length / parts);
  if (opset < 18 && length % parts !== 0) throw new ModelImportError(`${where}: ${length} does not split into ${parts} equal parts`);
  return Array.from({ length: parts }, (_, k) => Math.max(0, Math.min(size, length - k * size)));
}

export const denseSplit: DenseFactory = (node, opset) => {
  const where = describeNode(node);
  return (inputs) => {
    const t = requireTensor(node, inputs);
    const axis = normalizeAxis(node.attributes.int('axis', 0), t.dims.length, where);
    let offset = 0;
    return splitSizes(node, opset, t.dims[axis]!, inputs[1]).map((size) => {
      const start = t.dims.map((_, k) => (k === axis ? offset : 0));
      offset += size;
      return stridedView(t, start, t.dims.map(() => 1), t.dims.map((d, k) => (k === axis ? size : d)));
    });
  };
};

/** Pad's amounts `[begin..., end...]` per axis of `rank` (opset 18's `axes` expanded), mode and constant. */
export function padParameters(node: OnnxNode, opset: number, inputs: readonly (Tensor | undefined)[], rank: number): { pads: number[]; mode: string; value: number } | undefined {
  const a = node.attributes;
  const mode = a.string('mode', 'constant');
  if (opset < 11) {
    const pads = a.ints('pads') ?? a.ints('paddings');
    return pads && { pads, mode, value: a.float('value', 0) };
  }
  const padsInput = inputs[1];
  if (!padsInput) return undefined;
  const listed = integers(padsInput);
  const value = inputs[2]?.data[0] ?? 0;
  const axesInput = inputs[3];
  if (!axesInput) return { pads: listed, mode, value };
  const axes = integers(axesInput).map((axis) => normalizeAxis(axis, rank, describeNode(node)));
  const pads = new Array<number>(2 * rank).fill(0);
  axes.forEach((axis, k) => {
    pads[axis] = listed[k]!;
    pads[rank + axis] = listed[axes.length + k]!;
  });
  return { pads, mode, value };
}

export const PAD_MODES: readonly PadMode[] = ['constant', 'reflect', 'edge', 'wrap'];

export const densePad: DenseFactory = (node, opset, _constant, maxElements) => {
  const where = describeNode(node);
  return (inputs) => {
    const t = requireTensor(node, inputs);
    const rank = t.dims.length;
    const parameters = padParameters(node, opset, inputs, rank);
    if (!parameters || parameters.pads.length !== 2 * rank) throw new ModelImportError(`${where}: needs ${2 * rank} pads for rank ${rank}`);
    const { pads, mode, value } = parameters;
    if (!(PAD_MODES as readonly string[]).includes(mode)) throw new ModelImportError(`${where}: unknown mode '${mode}'`);
    const dims = t.dims.map((d, k) => d + pads[k]! + pads[rank + k]!);
    if (dims.some((d) => d < 0)) throw new ModelImportError(`${where}: pads [${pads.join(', ')}] crop [${t.dims.join(', ')}] below nothing`);
    const strides = stridesOf(t.dims);
    const outStrides = stridesOf(dims);
    const data = allocate(dims, where, maxElements);
    for (let i = 0; i < data.length; i++) {
      let source = 0;
      for (let k = 0; k < rank && source >= 0; k++) {
        const s = padSource(Math.floor(i / outStrides[k]!) % dims[k]!, pads[k]!, t.dims[k]!, mode as PadMode);
        source = s < 0 ? -1 : source + s * strides[k]!;
      }
      data[i] = source < 0 ? value : t.data[source]!;
    }
    return [tensorOf(dims, data, t.integer)];
  };
};

/**
 * DepthToSpace / SpaceToDepth on [N, C, H, W] as the reshape-transpose-reshape ONNX defines them:
 * DepthToSpace DCR reads channel `(by·b + bx)·C' + c`, CRD reads `c·b² + by·b + bx`.
 */
export const denseDepthToSpace: DenseFactory = (node) => {
  const where = describeNode(node);
  const block = node.attributes.int('blocksize', 0);
  const crd = node.attributes.string('mode', 'DCR') === 'CRD';
  const toSpace = node.opType === 'DepthToSpace';
  return (inputs) => {
    const t = requireTensor(node, inputs);
    if (t.dims.length !== 4 || block < 1) throw new ModelImportError(`${where}: needs a 4-D input and a blocksize >= 1`);
    const [n, c, h, w] = t.dims as [number, number, number, number];
    const b2 = block * block;
    if (toSpace && c % b2 !== 0) throw new ModelImportError(`${where}: ${c} channels do not split into ${block}x${block} blocks`);
    if (!toSpace && (h % block !== 0 || w % block !== 0)) throw new ModelImportError(`${where}: ${h}x${w} is not a multiple of ${block}`);
    const dims = toSpace ? [n, c / b2, h * block, w * block] : [n, c * b2, h / block, w / block];
    const [, outC, outH, outW] = dims as [number, number, number, number];
    const data = new Float32Array(t.data.length);
    for (let batch = 0; batch < n; batch++) {
      for (let oc = 0; oc < outC; oc++) {
        for (let oy = 0; oy < outH; oy++) {
          for (let ox = 0; ox < outW; ox++) {
            let source: number;
            if (toSpace) {
              const [by, bx, y, x] = [oy % block, ox % block, Math.floor(oy / block), Math.floor(ox / block)];
              const ic = crd ? oc * b2 + by * block + bx : (by * block + bx) * outC + oc;
              source = ((batch * c + ic) * h + y) * w + x;
            } else {
              const blockIndex = Math.floor(oc / c);
              const [by, bx, ic] = [Math.floor(blockIndex / block), blockIndex % block, oc % c];
              source = ((batch * c + ic) * h + oy * block + by) * w + ox * block + bx;
            }
            data[((batch * outC + oc) * outH + oy) * outW + ox] = t.data[source]!;
          }
        }
      }
    }
    return [tensorOf(dims, data, t.integer)];
  };
};

/** ShuffleNet's channel shuffle of an [N, C, ...] tensor in `groups` groups (the internal ChannelShuffle node). */
export const denseChannelShuffle: DenseFactory = (node) => {
  const groups = node.attributes.int('groups', 1);
  return (inputs) => {
    const t = requireTensor(node, inputs);
    const [n = 1, channels = 1] = t.dims;
    const inner = sizeOf(t.dims.slice(2));
    const perGroup = channels / groups;
    const data = new Float32Array(t.data.length);
    for (let b = 0; b < n; b++) {
      for (let c = 0; c < channels; c++) {
        const source = (b * channels + (c % groups) * perGroup + Math.floor(c / groups)) * inner;
        data.set(t.data.subarray(source, source + inner), (b * channels + c) * inner);
      }
    }
    return [tensorOf(t.dims, data, t.integer)];
  };
};
