/**
 * Element-wise operators as scalar functions: unary activations (mapped onto the core's activation
 * kinds where one exists, so a conv can fuse them) and binary arithmetic.
 */
import { activate } from '../kernels/activation.js';
import type { Activation } from '../types.js';
import { ModelImportError } from './errors.js';
import type { OnnxNode } from './graph.js';
import type { Tensor } from './tensor.js';

export type Unary =
  | { readonly kind: 'core'; readonly activation: Activation; readonly alpha: number }
  | { readonly kind: 'custom'; readonly label: string; readonly f: (x: number) => number };

export const UNARY_OPS = ['Relu', 'Clip', 'LeakyRelu', 'Sigmoid', 'HardSigmoid', 'HardSwish', 'SiLU', 'Identity', 'Dropout'] as const;
export const BINARY_OPS = ['Add', 'Sub', 'Mul', 'Div', 'PRelu'] as const;

/** The unary function of a node; `constant(name)` reads an optional constant input (Clip's min/max). */
export function unaryOf(node: OnnxNode, constant: (name: string) => Tensor | undefined): Unary {
  const a = node.attributes;
  const core = (activation: Activation, alpha = 0.01): Unary => ({ kind: 'core', activation, alpha });
  switch (node.opType) {
    case 'Relu': return core('relu');
    case 'LeakyRelu': return core('leakyRelu', a.float('alpha', 0.01));
    case 'Sigmoid': return core('sigmoid');
    case 'HardSwish': return core('hardSwish');
    case 'Identity': case 'Dropout': return core('none');
    case 'SiLU': return { kind: 'custom', label: 'silu', f: (x) => x / (1 + Math.exp(-x)) };
    case 'HardSigmoid': {
      const alpha = a.float('alpha', 0.2);
      const beta = a.float('beta', 0.5);
      return { kind: 'custom', label: 'hardSigmoid', f: (x) => Math.max(0, Math.min(1, alpha * x + beta)) };
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

export function binaryOf(node: OnnxNode): (x: number, y: number) => number {
  switch (node.opType) {
    case 'Add': return (x, y) => x + y;
    case 'Sub': return (x, y) => x - y;
    case 'Mul': return (x, y) => x * y;
    case 'Div': return (x, y) => x / y;
    case 'PRelu': return (x, slope) => (x < 0 ? x * slope : x);
    default:
      throw new ModelImportError(`node '${node.name}': ${node.opType} is not a binary element-wise operator`);
  }
}
