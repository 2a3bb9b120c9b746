/** Conv as an RRM layer, and the attribute readers the other windowed operators share. */
import { prepareConv } from '../operators/rrm-conv.js';
import type { Padding } from '../kernels/geometry.js';
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

export function pairAttribute(a: NodeAttributes, name: string, fallback: number, where: string): [number, number] {
  const values = a.ints(name) ?? [fallback, fallback];
  if (values.length !== 2) throw new ModelImportError(`${where}: ${name} [${values.join(', ')}] is not 2-D; only 2-D (NCHW) operators are supported`);
  return [values[0]!, values[1]!];
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
      return [pads[0]!, pads[1]!, pads[2]!, pads[3]!];
    }
    default:
      throw new ModelImportError(`${where}: unknown auto_pad '${autoPad}'`);
  }
}

export function importConv(node: OnnxNode, ctx: ImportContext): GraphStep {
  const where = `Conv node '${node.name}'`;
  const weight = constantInput(node, ctx, 1, 'weight')!;
  if (weight.dims.length !== 4) throw new ModelImportError(`${where}: weight has shape [${weight.dims.join(', ')}]; only 2-D convolutions (4-D weights) are supported`);
  const bias = constantInput(node, ctx, 2, 'bias');
  const a = node.attributes;
  const fused = node.fusedActivation;
  const layer = prepareConv({
    name: node.name,
    weight: weight.data,
    shape: weight.dims as [number, number, number, number],
    ...(bias ? { bias: bias.data } : {}),
    stride: pairAttribute(a, 'strides', 1, where),
    dilation: pairAttribute(a, 'dilations', 1, where),
    padding: paddingOf(a, where),
    groups: a.int('group', 1),
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
