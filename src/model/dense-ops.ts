/**
 * Element-wise, layout and linear operators on dense ONNX-order tensors: for constant folding at
 * load time and for the non-spatial tail of a model (detection heads) at run time. Each export is
 * the `dense` entry of its operator's record in the operator table (op-table.ts).
 */
import { ModelImportError } from './errors.js';
import type { OnnxNode } from './graph.js';
import { binaryOf, unaryFunction, unaryOf } from './elementwise-functions.js';
import { binary, concat, flattenDims, matmul, reshapeDims, sizeOf, softmax, tensorOf, transpose, unary, type Tensor } from './tensor.js';

/** The node as a function of its input tensors (`undefined` for an omitted optional input), one tensor per output. */
export type DenseEvaluator = (inputs: readonly (Tensor | undefined)[]) => Tensor[];
/**
 * Builds a node's evaluator. `maxElements` (the model's maxTensorElements) bounds every result
 * whose size can grow beyond its inputs', so that a hostile model fails with an error instead of
 * exhausting memory.
 */
export type DenseFactory = (node: OnnxNode, opset: number, constant: (name: string) => Tensor | undefined, maxElements: number) => DenseEvaluator;

export const describeNode = (node: OnnxNode): string => `${node.opType} node '${node.name}'`;

/** Input `k`, which the operator requires. */
export function requireTensor(node: OnnxNode, inputs: readonly (Tensor | undefined)[], k = 0): Tensor {
  const t = inputs[k];
  if (!t) throw new ModelImportError(`${describeNode(node)}: input ${k} ('${node.inputs[k] ?? ''}') is missing`);
  return t;
}

/** The values of a small integer tensor (axes, shapes, pads). */
export const integers = (t: Tensor): number[] => Array.from(t.data, (v) => Math.trunc(v));

export const denseUnary: DenseFactory = (node, _opset, constant) => {
  const f = unaryFunction(unaryOf(node, constant));
  return (inputs) => [unary(requireTensor(node, inputs), f)];
};

/** Binary arithmetic and comparisons; Min, Max, Sum and Mean also take any number of inputs. */
export const denseBinary: DenseFactory = (node, _opset, _constant, maxElements) => {
  const where = describeNode(node);
  if (node.opType === 'Sum' || node.opType === 'Mean') {
    return (inputs) => {
      const present = inputs.filter((t): t is Tensor => t !== undefined);
      const sum = present.slice(1).reduce((acc, t) => binary(acc, t, (x, y) => x + y, where, { maxElements }), present[0]!);
      return [node.opType === 'Mean' ? unary(sum, (x) => x / present.length) : sum];
    };
  }
  const { f, integer: integerF, boolean } = binaryOf(node);
  return (inputs) => {
    const present = inputs.filter((t): t is Tensor => t !== undefined);
    if (present.length < 2 && (node.opType === 'Min' || node.opType === 'Max')) return [requireTensor(node, inputs)];
    return [present.slice(1).reduce((a, b) => {
      const integer = a.integer === true && b.integer === true;
      return binary(a, b, integer && integerF ? integerF : f, where, { integer: boolean === true || integer, maxElements });
    }, requireTensor(node, inputs))];
  };
};

export const denseTranspose: DenseFactory = (node) => {
  const perm = node.attributes.ints('perm');
  return (inputs) => {
    const t = requireTensor(node, inputs);
    return [transpose(t, perm ?? t.dims.map((_, k) => t.dims.length - 1 - k))];
  };
};

/** The target shape of a Reshape: an attribute before opset 5, a constant input from then on. */
export function reshapeTarget(node: OnnxNode, opset: number, shapeInput: Tensor | undefined): number[] | undefined {
  if (opset < 5) return node.attributes.ints('shape');
  return shapeInput && integers(shapeInput);
}

export const denseReshape: DenseFactory = (node, opset) => {
  const allowZero = node.attributes.int('allowzero', 0) === 1;
  return (inputs) => {
    const t = requireTensor(node, inputs);
    const shape = reshapeTarget(node, opset, inputs[1]);
    if (!shape) throw new ModelImportError(`${describeNode(node)}: the target shape is missing`);
    return [tensorOf(reshapeDims(t.dims, shape, allowZero, describeNode(node)), t.data, t.integer)];
  };
};

export const denseFlatten: DenseFactory = (node) => {
  const axis = node.attributes.int('axis', 1);
  return (inputs) => {
    const t = requireTensor(node, inputs);
    return [tensorOf(flattenDims(t.dims, axis), t.data, t.integer)];
  };
};

export const denseSoftmax: DenseFactory = (node, opset) => {
  const axis = node.attributes.int('axis', opset < 13 ? 1 : -1);
  return (inputs) => [softmax(requireTensor(node, inputs), axis, opset)];
};

export const denseConcat: DenseFactory = (node, _opset, _constant, maxElements) => {
  const axis = node.attributes.int('axis', 1);
  return (inputs) => [concat(inputs.filter((t): t is Tensor => t !== undefined), axis, describeNode(node), maxElements)];
};

export const denseMatMul: DenseFactory = (node, _opset, _constant, maxElements) => (inputs) => [
  matmul(requireTensor(node, inputs), requireTensor(node, inputs, 1), describeNode(node), maxElements),
];

export const denseGemm: DenseFactory = (node, _opset, _constant, maxElements) => {
  const where = describeNode(node);
  const a = node.attributes;
  const alpha = a.float('alpha', 1);
  const beta = a.float('beta', 1);
  const transA = a.int('transA', 0) === 1;
  const transB = a.int('transB', 0) === 1;
  return (inputs) => {
    const A = transA ? transpose(requireTensor(node, inputs), [1, 0]) : requireTensor(node, inputs);
    const B = transB ? transpose(requireTensor(node, inputs, 1), [1, 0]) : requireTensor(node, inputs, 1);
    const product = matmul(A, B, where, maxElements);
    const scaled = unary(product, (x) => alpha * x);
    const C = inputs[2];
    return [C ? binary(scaled, C, (x, c) => x + beta * c, where, { maxElements }) : scaled];
  };
};

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

export const denseBatchNorm: DenseFactory = (node) => {
  const where = describeNode(node);
  return (inputs) => {
    const x = requireTensor(node, inputs);
    const { scale, shift } = batchNormCoefficients(node, inputs);
    const channels = x.dims[1] ?? 1;
    if (scale.length !== channels) throw new ModelImportError(`${where}: ${scale.length} scales for ${channels} channels`);
    const inner = sizeOf(x.dims.slice(2));
    const data = new Float32Array(x.data.length);
    for (let i = 0; i < data.length; i++) {
      const c = Math.floor(i / inner) % channels;
      data[i] = x.data[i]! * scale[c]! + shift[c]!;
    }
    return [{ dims: x.dims, data }];
  };
};
