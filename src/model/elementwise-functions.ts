/**
 * Element-wise ONNX operators as scalar functions: unary functions (mapped onto the core's
 * activation kinds where one exists, so that a conv can apply them itself) and binary arithmetic
 * and comparisons. "Element-wise" here, never "pointwise": in the kernels that word means a 1x1 conv.
 */
import { activate } from '../kernels/activation.js';
import type { Activation } from '../types.js';
import { ModelImportError } from './errors.js';
import type { OnnxNode } from './graph.js';
import type { Tensor } from './tensor.js';

export type Unary =
  | { readonly kind: 'core'; readonly activation: Activation; readonly alpha: number }
  | { readonly kind: 'custom'; readonly label: string; readonly f: (x: number) => number };

const softplus = (x: number) => (x > 20 ? x : Math.log1p(Math.exp(x)));

/**
 * erf as 1 − erfc with Numerical Recipes' erfc approximation (fractional error < 1.2e-7), and its
 * Maclaurin series near 0, where 1 − erfc would lose the relative precision of small values.
 */
function erf(x: number): number {
  const sign = x < 0 ? -1 : 1;
  const a = Math.abs(x);
  if (a < 0.5) {
    // Maclaurin series: accurate where the rational approximation loses relative precision.
    const x2 = a * a;
    let term = a;
    let sum = a;
    for (let n = 1; n < 12; n++) {
      term *= -x2 / n;
      sum += term / (2 * n + 1);
    }
    return sign * (2 / Math.sqrt(Math.PI)) * sum;
  }
  const t = 1 / (1 + 0.5 * a);
  const y = 1 - t * Math.exp(-a * a - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 +
    t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return sign * y;
}

/** Round half to even, as ONNX Round. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Unary functions with no parameters, by ONNX operator. */
const PLAIN_UNARY: Readonly<Record<string, (x: number) => number>> = {
  Tanh: Math.tanh,
  Exp: Math.exp,
  Log: Math.log,
  Sqrt: Math.sqrt,
  Abs: Math.abs,
  Neg: (x) => -x,
  Reciprocal: (x) => 1 / x,
  Floor: Math.floor,
  Ceil: Math.ceil,
  Round: roundHalfEven,
  Sign: Math.sign,
  Erf: erf,
  Softplus: softplus,
  Softsign: (x) => x / (1 + Math.abs(x)),
  Mish: (x) => x * Math.tanh(softplus(x)),
  SiLU: (x) => x / (1 + Math.exp(-x)), // internal: `x·sigmoid(x)` recognized by optimizeGraph
  Not: (x) => (x === 0 ? 1 : 0),
};

/** Operators `unaryOf` knows. */
export const UNARY_OPERATORS: readonly string[] = [
  'Relu', 'Clip', 'LeakyRelu', 'Sigmoid', 'HardSigmoid', 'HardSwish', 'Elu', 'Selu', 'Gelu', 'Identity', 'Dropout',
  ...Object.keys(PLAIN_UNARY),
];

/** The unary function of a node; `constant(name)` reads an optional constant input (Clip's min/max). */
export function unaryOf(node: OnnxNode, constant: (name: string) => Tensor | undefined): Unary {
  const a = node.attributes;
  const core = (activation: Activation, alpha = 0.01): Unary => ({ kind: 'core', activation, alpha });
  const custom = (f: (x: number) => number): Unary => ({ kind: 'custom', label: node.opType.charAt(0).toLowerCase() + node.opType.slice(1), f });
  const plain = PLAIN_UNARY[node.opType];
  if (plain) return custom(plain);
  switch (node.opType) {
    case 'Relu': return core('relu');
    case 'LeakyRelu': return core('leakyRelu', a.float('alpha', 0.01));
    case 'Sigmoid': return core('sigmoid');
    case 'HardSwish': return core('hardSwish');
    case 'Identity': case 'Dropout': return core('none');
    case 'HardSigmoid': {
      const alpha = a.float('alpha', 0.2);
      const beta = a.float('beta', 0.5);
      return custom((x) => Math.max(0, Math.min(1, alpha * x + beta)));
    }
    case 'Elu': {
      const alpha = a.float('alpha', 1);
      return custom((x) => (x >= 0 ? x : alpha * (Math.exp(x) - 1)));
    }
    case 'Selu': {
      const alpha = a.float('alpha', 1.67326319217681884765625);
      const gamma = a.float('gamma', 1.05070102214813232421875);
      return custom((x) => gamma * (x > 0 ? x : alpha * (Math.exp(x) - 1)));
    }
    case 'Gelu': {
      if (a.string('approximate', 'none') === 'tanh') {
        return custom((x) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x))));
      }
      return custom((x) => 0.5 * x * (1 + erf(x / Math.SQRT2)));
    }
    case 'Clip': {
      // Opset < 11: attributes; from 11: optional constant inputs.
      const bound = (input: number, attribute: string, fallback: number) => {
        const name = node.inputs[input];
        if (name) {
          const t = constant(name);
          if (!t) throw new ModelImportError(`Clip node '${node.name}': ${attribute} must be a constant`);
          return t.data[0]!;
        }
        return a.float(attribute, fallback);
      };
      const min = bound(1, 'min', -Infinity);
      const max = bound(2, 'max', Infinity);
      if (min === 0 && max === 6) return core('relu6');
      if (min === 0 && max === Infinity) return core('relu');
      return { kind: 'custom', label: 'clip', f: (x) => (x < min ? min : x > max ? max : x) };
    }
    default:
      throw new ModelImportError(`node '${node.name}': ${node.opType} is not an element-wise operator`);
  }
}

export function unaryFunction(u: Unary): (x: number) => number {
  if (u.kind === 'custom') return u.f;
  const { activation, alpha } = u;
  return (x) => activate(activation, x, alpha);
}

/** A binary element-wise function: on floats, and its form on two integer tensors where that differs. */
export interface Binary {
  readonly f: (x: number, y: number) => number;
  readonly integer?: (x: number, y: number) => number;
  /** The result is a boolean (comparisons, logic): stored as 0/1 and marked integer. */
  readonly boolean?: boolean;
}

const truthy = (x: number) => x !== 0;

const BINARY: Readonly<Record<string, Binary>> = {
  Add: { f: (x, y) => x + y },
  Sub: { f: (x, y) => x - y },
  Mul: { f: (x, y) => x * y },
  // ONNX integer division truncates (shape arithmetic such as `(C + 1) / 2` relies on it).
  Div: { f: (x, y) => x / y, integer: (x, y) => Math.trunc(x / y) },
  Pow: { f: (x, y) => Math.pow(x, y) },
  PRelu: { f: (x, slope) => (x < 0 ? x * slope : x) },
  Min: { f: (x, y) => Math.min(x, y) },
  Max: { f: (x, y) => Math.max(x, y) },
  // Two-operand forms; with more operands they run densely (denseBinary folds Sum and divides Mean once).
  Sum: { f: (x, y) => x + y },
  Mean: { f: (x, y) => (x + y) / 2 },
  Equal: { f: (x, y) => Number(x === y), boolean: true },
  Less: { f: (x, y) => Number(x < y), boolean: true },
  LessOrEqual: { f: (x, y) => Number(x <= y), boolean: true },
  Greater: { f: (x, y) => Number(x > y), boolean: true },
  GreaterOrEqual: { f: (x, y) => Number(x >= y), boolean: true },
  And: { f: (x, y) => Number(truthy(x) && truthy(y)), boolean: true },
  Or: { f: (x, y) => Number(truthy(x) || truthy(y)), boolean: true },
  Xor: { f: (x, y) => Number(truthy(x) !== truthy(y)), boolean: true },
};

/** Operators `binaryOf` knows (Min, Max, Sum and Mean with exactly two inputs on maps; any number densely). */
export const BINARY_OPERATORS: readonly string[] = [...Object.keys(BINARY), 'Mod'];

export function binaryOf(node: OnnxNode): Binary {
  if (node.opType === 'Mod') {
    // fmod = 1: the sign of the dividend (C fmod); 0: the sign of the divisor (Python's %).
    if (node.attributes.int('fmod', 0) === 1) return { f: (x, y) => x % y };
    const mod = (x: number, y: number) => {
      const r = x % y;
      return r !== 0 && (r < 0) !== (y < 0) ? r + y : r;
    };
    return { f: mod, integer: mod };
  }
  const binary = BINARY[node.opType];
  if (!binary) throw new ModelImportError(`node '${node.name}': ${node.opType} is not a binary element-wise operator`);
  return binary;
}
