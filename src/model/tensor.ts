/**
 * Dense N-d tensors in ONNX element order (row-major over `dims`), and the cheap dense operations the
 * non-spatial parts of a model need (detection heads, constant folding): broadcasting arithmetic,
 * transpose, reshape, softmax, concat, matrix products.
 */
import { DEFAULT_MAX_TENSOR_ELEMENTS } from '../kernels/validate-geometry.js';
import { ModelImportError } from './errors.js';

export interface Tensor {
  readonly dims: readonly number[];
  readonly data: Float32Array;
  /**
   * Integer (or boolean) element type: shapes, indices, masks. Held as float32 like everything else
   * (exact up to 2^24, far beyond any shape), but integer division truncates and Cast back to float
   * is a no-op only for these.
   */
  readonly integer?: boolean;
}

/** A tensor of `data` with `integer` set only when true (so that float tensors compare as before). */
export const tensorOf = (dims: readonly number[], data: Float32Array, integer = false): Tensor => (integer ? { dims, data, integer } : { dims, data });

export const sizeOf = (dims: readonly number[]): number => dims.reduce((a, b) => a * b, 1);

/**
 * Throws unless a tensor of `dims` may be allocated: a result whose size grows from its operands'
 * (broadcasting, products, concatenation, shapes read from data) is checked before its buffer exists.
 */
export function checkElements(dims: readonly number[], where: string, maxElements: number = DEFAULT_MAX_TENSOR_ELEMENTS): void {
  if (dims.some((d) => !Number.isSafeInteger(d) || d < 0)) throw new ModelImportError(`${where}: [${dims.join(', ')}] is not a valid shape (sizes must be non-negative integers)`);
  const elements = sizeOf(dims);
  if (elements > maxElements) {
    throw new ModelImportError(`${where}: the result [${dims.join(', ')}] would hold ${elements} values, more than maxTensorElements = ${maxElements}`);
  }
}

/** A zeroed buffer for a tensor of `dims`, checked by `checkElements` first. */
export function allocate(dims: readonly number[], where: string, maxElements?: number): Float32Array {
  checkElements(dims, where, maxElements);
  return new Float32Array(sizeOf(dims));
}

/** Row-major strides of `dims`. */
export function stridesOf(dims: readonly number[]): number[] {
  const strides = new Array<number>(dims.length);
  let step = 1;
  for (let k = dims.length - 1; k >= 0; k--) {
    strides[k] = step;
    step *= dims[k]!;
  }
  return strides;
}

/** Numpy broadcasting of two shapes; throws when they do not broadcast. */
export function broadcastDims(a: readonly number[], b: readonly number[], where: string): number[] {
  const rank = Math.max(a.length, b.length);
  const result: number[] = [];
  for (let k = 0; k < rank; k++) {
    const x = a[a.length - rank + k] ?? 1;
    const y = b[b.length - rank + k] ?? 1;
    if (x !== y && x !== 1 && y !== 1) throw new ModelImportError(`${where}: shapes [${a.join(', ')}] and [${b.join(', ')}] do not broadcast`);
    result.push(x === 1 ? y : x);
  }
  return result;
}

/** `t` repeated along broadcast axes so that it has exactly `dims`. */
export function expandTo(t: Tensor, dims: readonly number[]): Float32Array {
  if (sizeOf(t.dims) === sizeOf(dims)) return t.data;
  const rank = dims.length;
  const sourceDims = [...new Array<number>(rank - t.dims.length).fill(1), ...t.dims];
  const sourceStrides = stridesOf(sourceDims).map((s, k) => (sourceDims[k] === 1 ? 0 : s));
  const out = new Float32Array(sizeOf(dims));
  const index = new Array<number>(rank).fill(0);
  let source = 0;
  for (let i = 0; i < out.length; i++) {
    out[i] = t.data[source]!;
    for (let k = rank - 1; k >= 0; k--) {
      index[k]!++;
      source += sourceStrides[k]!;
      if (index[k]! < dims[k]!) break;
      source -= sourceStrides[k]! * dims[k]!;
      index[k] = 0;
    }
  }
  return out;
}

/**
 * `f` over two broadcast tensors. The result is integer when `integer` says so (default: both
 * operands are); it may hold at most `maxElements` values.
 */
export function binary(
  a: Tensor,
  b: Tensor,
  f: (x: number, y: number) => number,
  where: string,
  { integer = a.integer === true && b.integer === true, maxElements }: { integer?: boolean; maxElements?: number } = {},
): Tensor {
  const dims = broadcastDims(a.dims, b.dims, where);
  checkElements(dims, where, maxElements);
  const x = expandTo(a, dims);
  const y = expandTo(b, dims);
  const data = new Float32Array(x.length);
  for (let i = 0; i < data.length; i++) data[i] = f(x[i]!, y[i]!);
  return tensorOf(dims, data, integer);
}

export function unary(t: Tensor, f: (x: number) => number): Tensor {
  return tensorOf(t.dims, t.data.map(f), t.integer);
}

export function transpose(t: Tensor, perm: readonly number[]): Tensor {
  const rank = t.dims.length;
  if (perm.length !== rank || [...perm].sort((a, b) => a - b).some((p, k) => p !== k)) {
    throw new ModelImportError(`Transpose: perm [${perm.join(', ')}] is not a permutation of ${rank} axes`);
  }
  const dims = perm.map((p) => t.dims[p]!);
  const sourceStrides = stridesOf(t.dims);
  const steps = perm.map((p) => sourceStrides[p]!);
  const data = new Float32Array(t.data.length);
  const index = new Array<number>(rank).fill(0);
  let source = 0;
  for (let i = 0; i < data.length; i++) {
    data[i] = t.data[source]!;
    for (let k = rank - 1; k >= 0; k--) {
      index[k]!++;
      source += steps[k]!;
      if (index[k]! < dims[k]!) break;
      source -= steps[k]! * dims[k]!;
      index[k] = 0;
    }
  }
  return tensorOf(dims, data, t.integer);
}

/** ONNX Reshape's target: `0` copies the input's dimension (unless `allowzero`), one `-1` is inferred. */
export function reshapeDims(from: readonly number[], shape: readonly number[], allowZero: boolean, where: string): number[] {
  const dims = shape.map((d, k) => (d === 0 && !allowZero ? from[k]! : d));
  const unknown = dims.indexOf(-1);
  const total = sizeOf(from);
  if (unknown >= 0) {
    const known = sizeOf(dims.filter((_, k) => k !== unknown));
    dims[unknown] = known === 0 ? 0 : total / known;
  }
  if (sizeOf(dims) !== total || dims.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new ModelImportError(`${where}: cannot reshape [${from.join(', ')}] to [${shape.join(', ')}]`);
  }
  return dims;
}

/** Flatten: dims before `axis` into one, the rest into another. */
export function flattenDims(dims: readonly number[], axis: number): number[] {
  const split = axis < 0 ? axis + dims.length : axis;
  return [sizeOf(dims.slice(0, split)), sizeOf(dims.slice(split))];
}

/** A softmax's previous input and output (same shape), for `softmax` to reuse unchanged rows. */
export interface SoftmaxMemo {
  readonly input: Float32Array;
  readonly output: Float32Array;
}

/**
 * Softmax over `axis`. Before opset 13 ONNX coerces the input to 2-D at `axis` and normalizes over
 * everything from `axis` on; from 13 it normalizes over that one axis. With a `memo` of the same
 * shape, a row whose inputs all equal the memo's takes the memo's output row: exactly what
 * recomputing it gives, without the exponentials (detection heads on video change few anchors per
 * frame, and `Math.exp` is most of a softmax's cost).
 */
export function softmax(t: Tensor, axis: number, opset: number, memo?: SoftmaxMemo): Tensor {
  const rank = t.dims.length;
  const a = axis < 0 ? axis + rank : axis;
  const inner = opset < 13 ? sizeOf(t.dims.slice(a)) : t.dims[a]!;
  const stride = opset < 13 ? 1 : sizeOf(t.dims.slice(a + 1));
  const outer = t.data.length / (inner * stride);
  const data = new Float32Array(t.data.length);
  const previous = memo && memo.input.length === t.data.length ? memo : undefined;
  for (let o = 0; o < outer; o++) {
    for (let s = 0; s < stride; s++) {
      const base = o * inner * stride + s;
      if (previous && sameRow(t.data, previous.input, base, inner, stride)) {
        for (let k = 0; k < inner; k++) data[base + k * stride] = previous.output[base + k * stride]!;
        continue;
      }
      let max = -Infinity;
      for (let k = 0; k < inner; k++) max = Math.max(max, t.data[base + k * stride]!);
      let sum = 0;
      for (let k = 0; k < inner; k++) sum += data[base + k * stride] = Math.exp(t.data[base + k * stride]! - max);
      for (let k = 0; k < inner; k++) data[base + k * stride]! /= sum;
    }
  }
  return { dims: t.dims, data };
}

/** Bitwise-equal values along one softmax row (NaN never equals, so such a row is recomputed). */
function sameRow(a: Float32Array, b: Float32Array, base: number, inner: number, stride: number): boolean {
  for (let k = 0; k < inner; k++) if (a[base + k * stride] !== b[base + k * stride]) return false;
  return true;
}

export function concat(tensors: readonly Tensor[], axis: number, where: string, maxElements?: number): Tensor {
  const first = tensors[0];
  if (!first) throw new ModelImportError(`${where}: needs at least one input`);
  const rank = first.dims.length;
  const a = axis < 0 ? axis + rank : axis;
  for (const t of tensors) {
    if (t.dims.length !== rank || t.dims.some((d, k) => k !== a && d !== first.dims[k])) {
      throw new ModelImportError(`${where}: cannot concatenate [${t.dims.join(', ')}] with [${first.dims.join(', ')}] on axis ${axis}`);
    }
  }
  const dims = first.dims.map((d, k) => (k === a ? tensors.reduce((n, t) => n + t.dims[a]!, 0) : d));
  checkElements(dims, where, maxElements);
  const outer = sizeOf(first.dims.slice(0, a));
  const data = new Float32Array(sizeOf(dims));
  let offset = 0;
  for (let o = 0; o < outer; o++) {
    for (const t of tensors) {
      const block = sizeOf(t.dims.slice(a));
      data.set(t.data.subarray(o * block, (o + 1) * block), offset);
      offset += block;
    }
  }
  return tensorOf(dims, data, tensors.every((t) => t.integer));
}

/**
 * ONNX MatMul (numpy semantics): `[..., m, k] · [..., k, n]` with broadcast batch dimensions; a 1-D
 * operand is a row (left) or column (right) vector. Accumulated in double precision.
 */
export function matmul(a: Tensor, b: Tensor, where: string, maxElements?: number): Tensor {
  if (a.dims.length === 0 || b.dims.length === 0) throw new ModelImportError(`${where}: MatMul needs operands of rank >= 1`);
  const left = a.dims.length === 1 ? [1, a.dims[0]!] : a.dims;
  const right = b.dims.length === 1 ? [b.dims[0]!, 1] : b.dims;
  const [m, k] = left.slice(-2) as [number, number];
  const [k2, n] = right.slice(-2) as [number, number];
  if (k !== k2) throw new ModelImportError(`${where}: cannot multiply [${a.dims.join(', ')}] by [${b.dims.join(', ')}]: inner sizes ${k} and ${k2} differ`);
  const batch = broadcastDims(left.slice(0, -2), right.slice(0, -2), where);
  checkElements([...batch, m, k], where, maxElements);
  checkElements([...batch, k, n], where, maxElements);
  checkElements([...batch, m, n], where, maxElements);
  const count = sizeOf(batch);
  const leftBatch = expandTo({ dims: [...left.slice(0, -2), m * k], data: a.data }, [...batch, m * k]);
  const rightBatch = expandTo({ dims: [...right.slice(0, -2), k * n], data: b.data }, [...batch, k * n]);
  const data = new Float32Array(count * m * n);
  for (let q = 0; q < count; q++) {
    const ao = q * m * k;
    const bo = q * k * n;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let sum = 0;
        for (let p = 0; p < k; p++) sum += leftBatch[ao + i * k + p]! * rightBatch[bo + p * n + j]!;
        data[q * m * n + i * n + j] = sum;
      }
    }
  }
  const dims = [...batch, ...(a.dims.length === 1 ? [] : [m]), ...(b.dims.length === 1 ? [] : [n])];
  return { dims, data };
}
