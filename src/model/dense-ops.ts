/**
 * Every supported operator that can run on plain ONNX-order tensors: used for constant folding at
 * load time and for the non-spatial tail of a model (detection heads) at run time. Cheap operators only.
 */
import { DEFAULT_MAX_TENSOR_ELEMENTS } from '../kernels/validate-geometry.js';
import { ModelImportError } from './errors.js';
import type { OnnxNode } from './graph.js';
import { binaryOf, BINARY_OPS, unaryFunction, unaryOf, UNARY_OPS } from './pointwise.js';
import { binary, concat, flattenDims, matmul, reshapeDims, sizeOf, softmax, transpose, unary, type Tensor } from './tensor.js';

export type DenseEvaluator = (inputs: readonly (Tensor | undefined)[]) => Tensor;

const SHAPE_OPS = ['Transpose', 'Reshape', 'Flatten', 'Softmax', 'Concat'] as const;
const LINEAR_OPS = ['MatMul', 'Gemm', 'BatchNormalization'] as const;

export function hasDenseForm(opType: string): boolean {
  return ([...UNARY_OPS, ...BINARY_OPS, ...SHAPE_OPS, ...LINEAR_OPS] as readonly string[]).includes(opType);
}

/** The node as a function of its input tensors (first output only; callers check for extra outputs). */
export function denseEvaluator(
  node: OnnxNode,
  opset: number,
  constant: (name: string) => Tensor | undefined,
  maxElements: number = DEFAULT_MAX_TENSOR_ELEMENTS,
): DenseEvaluator {
  const a = node.attributes;
  const where = `${node.opType} node '${node.name}'`;
  const input = (inputs: readonly (Tensor | undefined)[], k: number) => {
    const value = inputs[k];
    if (!value) throw new ModelImportError(`${where}: input ${k} ('${node.inputs[k] ?? ''}') is missing`);
    return value;
  };
  const first = (inputs: readonly (Tensor | undefined)[]) => input(inputs, 0);
  if ((UNARY_OPS as readonly string[]).includes(node.opType)) {
    const f = unaryFunction(unaryOf(node, constant));
    return (inputs) => unary(first(inputs), f);
  }
  if ((BINARY_OPS as readonly string[]).includes(node.opType)) {
    const f = binaryOf(node);
    return (inputs) => binary(first(inputs), input(inputs, 1), f, where, maxElements);
  }
  switch (node.opType) {
    case 'Transpose': {
      const perm = a.ints('perm');
      return (inputs) => {
        const t = first(inputs);
        return transpose(t, perm ?? t.dims.map((_, k) => t.dims.length - 1 - k));
      };
    }
    case 'Reshape': {
      const allowZero = a.int('allowzero', 0) === 1;
      return (inputs) => {
        const t = first(inputs);
        const shape = opset < 5 ? a.ints('shape') : inputs[1] && Array.from(inputs[1].data);
        if (!shape) throw new ModelImportError(`${where}: the target shape must be a constant`);
        return { dims: reshapeDims(t.dims, shape, allowZero, where), data: t.data };
      };
    }
    case 'Flatten': {
      const axis = a.int('axis', 1);
      return (inputs) => {
        const t = first(inputs);
        return { dims: flattenDims(t.dims, axis), data: t.data };
      };
    }
    case 'Softmax': {
      const axis = a.int('axis', opset < 13 ? 1 : -1);
      return (inputs) => softmax(first(inputs), axis, opset);
    }
    case 'Concat': {
      const axis = a.int('axis', 1);
      return (inputs) => concat(inputs.filter((t): t is Tensor => t !== undefined), axis, where, maxElements);
    }
    case 'MatMul':
      return (inputs) => matmul(first(inputs), input(inputs, 1), where, maxElements);
    case 'Gemm':
      return gemmEvaluator(node, where, input, maxElements);
    case 'BatchNormalization':
      return batchNormEvaluator(node, where);
  }
  throw new ModelImportError(`${where}: has no dense form`);
}

function gemmEvaluator(
  node: OnnxNode,
  where: string,
  input: (inputs: readonly (Tensor | undefined)[], k: number) => Tensor,
  maxElements: number,
): DenseEvaluator {
  const a = node.attributes;
  const alpha = a.float('alpha', 1);
  const beta = a.float('beta', 1);
  const transA = a.int('transA', 0) === 1;
  const transB = a.int('transB', 0) === 1;
  return (inputs) => {
    const A = transA ? transpose(input(inputs, 0), [1, 0]) : input(inputs, 0);
    const B = transB ? transpose(input(inputs, 1), [1, 0]) : input(inputs, 1);
    const product = matmul(A, B, where, maxElements);
    const scaled = unary(product, (x) => alpha * x);
    const C = inputs[2];
    return C ? binary(scaled, C, (x, c) => x + beta * c, where, maxElements) : scaled;
  };
}

/** Inference-mode batch normalization over axis 1: `(x − mean) / √(var + ε) · scale + B`. */
export function batchNormCoefficients(node: OnnxNode, inputs: readonly (Tensor | undefined)[]): { scale: Float32Array; shift: Float32Array } {
  const epsilon = node.attributes.float('epsilon', 1e-5);
  const [, gamma, beta, mean, variance] = inputs;
  if (!gamma || !beta || !mean || !variance) throw new ModelImportError(`BatchNormalization node '${node.name}': scale, B, mean and var must be constants`);
  const lengths = [gamma, beta, mean, variance].map((t) => t.data.length);
  if (lengths.some((n) => n !== lengths[0])) {
    throw new ModelImportError(`BatchNormalization node '${node.name}': scale, B, mean and var must have one value per channel each, got ${lengths.join(', ')} values`);
  }
  const scale = gamma.data.map((g, c) => g / Math.sqrt(variance.data[c]! + epsilon));
  const shift = beta.data.map((b, c) => b - mean.data[c]! * scale[c]!);
  return { scale, shift };
}

function batchNormEvaluator(node: OnnxNode, where: string): DenseEvaluator {
  return (inputs) => {
    const x = inputs[0];
    if (!x) throw new ModelImportError(`${where}: input 0 is missing`);
    const { scale, shift } = batchNormCoefficients(node, inputs);
    const channels = x.dims[1] ?? 1;
    if (scale.length !== channels) throw new ModelImportError(`${where}: ${scale.length} scales for ${channels} channels`);
    const inner = sizeOf(x.dims.slice(2));
    const data = new Float32Array(x.data.length);
    for (let i = 0; i < data.length; i++) {
      const c = Math.floor(i / inner) % channels;
      data[i] = x.data[i]! * scale[c]! + shift[c]!;
    }
    return { dims: x.dims, data };
  };
}
