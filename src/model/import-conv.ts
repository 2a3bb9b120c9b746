/** Conv as an RRM layer, and the attribute readers (with their validation) the other windowed operators share. */
import { prepareConv } from '../operators/rrm-conv.js';
import type { Padding } from '../kernels/geometry.js';
import { findNonFinite } from '../kernels/non-finite.js';
import { isWindowOptionProblem, windowPadding, windowPair } from '../layers/window-options.js';
import { RrmInputError } from '../layers/validate.js';
import { ModelImportError } from './errors.js';
import type { NodeAttributes, OnnxNode } from './graph.js';
import { layerStep, type GraphStep, type ImportContext } from './step.js';
import type { Tensor } from './tensor.js';

export function constantInput(node: OnnxNode, ctx: ImportContext, k: number, label: string): Tensor | undefined {
  const name = node.inputs[k];
  if (!name) return undefined;
  const t = ctx.graph.constants.get(name);
  if (!t) throw new ModelImportError(`${node.opType} node '${node.name}': the ${label} ('${name}') must be a constant (initializer); computed ${label}s are not supported`);
  return t;
}

/** A constant input the operator cannot do without (a Conv's weight). */
export function requiredConstant(node: OnnxNode, ctx: ImportContext, k: number, label: string): Tensor {
  const tensor = constantInput(node, ctx, k, label);
  if (!tensor) throw new ModelImportError(`${node.opType} node '${node.name}': has no ${label} (input ${k}): expected a constant ${label} tensor`);
  return tensor;
}

/** A 2-D attribute of positive integers (strides, dilations, kernel_shape), by the operators' rule. */
export function pairAttribute(a: NodeAttributes, name: string, fallback: number, where: string): [number, number] {
  const values = a.ints(name) ?? [fallback, fallback];
  if (values.length !== 2) throw new ModelImportError(`${where}: ${name} [${values.join(', ')}] is not 2-D; only 2-D (NCHW) operators are supported`);
  const pair = windowPair(values);
  if (isWindowOptionProblem(pair)) throw new ModelImportError(`${where}: ${name} [${values.join(', ')}] must be positive integers`);
  return pair;
}

/** A 2-D attribute of non-negative integers (ConvTranspose's output_padding). */
export function nonNegativePairAttribute(a: NodeAttributes, name: string, where: string): [number, number] {
  const values = a.ints(name) ?? [0, 0];
  if (values.length !== 2 || !values.every((v) => Number.isSafeInteger(v) && v >= 0)) {
    throw new ModelImportError(`${where}: ${name} [${values.join(', ')}] must be two integers ≥ 0`);
  }
  return [values[0]!, values[1]!];
}

/** The `group` attribute: a positive integer. */
export function groupAttribute(a: NodeAttributes, where: string): number {
  const groups = a.int('group', 1);
  if (!(Number.isSafeInteger(groups) && groups >= 1)) throw new ModelImportError(`${where}: group must be a positive integer, got ${groups}`);
  return groups;
}

/** ONNX `auto_pad` and `pads` ([top, left, bottom, right] for 2-D) as a core `Padding`. */
export function paddingOf(a: NodeAttributes, where: string): Padding {
  const autoPad = a.string('auto_pad', 'NOTSET');
  switch (autoPad) {
    case 'SAME_UPPER': return 'same';
    case 'SAME_LOWER': return 'sameLower';
    case 'VALID': return 'valid';
    case 'NOTSET': {
      const pads = a.ints('pads') ?? [0, 0, 0, 0];
      if (pads.length !== 4) throw new ModelImportError(`${where}: pads [${pads.join(', ')}] is not 2-D; only 2-D (NCHW) operators are supported`);
      // ONNX orders pads [top, left, bottom, right] for 2-D, the core's own order.
      const padding = windowPadding(pads);
      if (isWindowOptionProblem(padding)) throw new ModelImportError(`${where}: pads [${pads.join(', ')}] must be integers ≥ 0`);
      return padding;
    }
    default:
      throw new ModelImportError(`${where}: unknown auto_pad '${autoPad}'`);
  }
}

export function importConv(node: OnnxNode, ctx: ImportContext): GraphStep {
  const where = `Conv node '${node.name}'`;
  const weight = requiredConstant(node, ctx, 1, 'weight');
  if (weight.dims.length !== 4) throw new ModelImportError(`${where}: weight has shape [${weight.dims.join(', ')}]; only 2-D convolutions (4-D weights) are supported`);
  const bias = constantInput(node, ctx, 2, 'bias');
  const a = node.attributes;
  const kernelShape = a.ints('kernel_shape');
  if (kernelShape && (kernelShape.length !== 2 || kernelShape[0] !== weight.dims[2] || kernelShape[1] !== weight.dims[3])) {
    throw new ModelImportError(`${where}: kernel_shape [${kernelShape.join(', ')}] does not match the weight's [${weight.dims.slice(2).join(', ')}]`);
  }
  const groups = groupAttribute(a, where);
  if (weight.dims[0]! % groups !== 0) throw new ModelImportError(`${where}: the weight's ${weight.dims[0]} output channels are not divisible by group ${groups}`);
  for (const [label, tensor] of [['weight', weight], ['bias', bias]] as const) {
    const bad = tensor ? findNonFinite(tensor.data) : -1;
    if (bad >= 0) throw new ModelImportError(`${where}: ${label} value ${bad} is ${tensor!.data[bad]}; expected finite numbers`);
  }
  const fused = node.fusedActivation;
  // Model problems are ModelImportErrors by now; what prepareConv may still refuse are the
  // operator's options (threshold, denseFraction), which stay RrmInputErrors.
  const layer = prepareConv({
    name: node.name,
    weight: weight.data,
    shape: weight.dims as [number, number, number, number],
    ...(bias ? { bias: bias.data } : {}),
    stride: pairAttribute(a, 'strides', 1, where),
    dilation: pairAttribute(a, 'dilations', 1, where),
    padding: paddingOf(a, where),
    groups,
    maxTensorElements: ctx.graph.limits.maxTensorElements,
    activation: fused?.activation ?? 'none',
    leakyReluAlpha: fused?.alpha ?? 0.01,
    threshold: ctx.thresholdFor(node),
    ...(ctx.thresholdScale ? { thresholdScale: ctx.thresholdScale } : {}),
    ...(ctx.denseFraction !== undefined ? { denseFraction: ctx.denseFraction } : {}),
    backend: ctx.backend,
    traceActivity: ctx.traces(node),
  }, { fused: true });
  return layerStep(node, layer);
}

/** Runs a core constructor whose `RrmInputError` (prefixed with the layer name) becomes a load error naming the node. */
export function asImportError<T>(where: string, layerName: string, construct: () => T): T {
  try {
    return construct();
  } catch (error) {
    if (!(error instanceof RrmInputError)) throw error;
    const message = error.message.startsWith(`${layerName}: `) ? error.message.slice(layerName.length + 2) : error.message;
    throw new ModelImportError(`${where}: ${message}`);
  }
}
