/** ConvTranspose (weights `[Cin, Cout/group, kH, kW]`) as a delta-path layer: only active input pixels are scattered. */
import { ConvTransposeLayer, type TransposedGeometry } from '../layers/conv-transpose-layer.js';
import { ModelImportError } from './errors.js';
import type { OnnxNode } from './graph.js';
import { constantInput, groupAttribute, nonNegativePairAttribute, pairAttribute, requiredConstant } from './import-conv.js';
import { layerStep, type GraphStep, type ImportContext } from './step.js';

/**
 * Output size and leading padding of the node on an `height x width` input: from `pads`, or
 * `output_shape`, or `auto_pad` SAME_* (output = input · stride), with `output_padding` added.
 */
export function transposedGeometry(node: OnnxNode, kernel: readonly [number, number], height: number, width: number): TransposedGeometry {
  const where = `ConvTranspose node '${node.name}'`;
  const a = node.attributes;
  const stride = pairAttribute(a, 'strides', 1, where);
  const dilation = pairAttribute(a, 'dilations', 1, where);
  const outputPadding = nonNegativePairAttribute(a, 'output_padding', where);
  const outputShape = a.ints('output_shape');
  const autoPad = a.string('auto_pad', 'NOTSET');
  const pads = autoPad === 'VALID' ? [0, 0, 0, 0] : (a.ints('pads') ?? [0, 0, 0, 0]);
  if (pads.length !== 4 || !pads.every((p) => Number.isSafeInteger(p) && p >= 0)) throw new ModelImportError(`${where}: pads [${pads.join(', ')}] must be four integers ≥ 0`);
  if (outputShape && !outputShape.every((d) => Number.isSafeInteger(d) && d >= 1)) throw new ModelImportError(`${where}: output_shape [${outputShape.join(', ')}] must hold positive integers`);
  const axis = (k: 0 | 1, size: number) => {
    const full = stride[k] * (size - 1) + outputPadding[k] + (kernel[k] - 1) * dilation[k] + 1;
    const requested = outputShape?.[outputShape.length - 2 + k] ?? (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER' ? size * stride[k] : undefined);
    if (requested === undefined) return { out: full - pads[k]! - pads[k + 2]!, begin: pads[k]! };
    const total = full - requested;
    return { out: requested, begin: autoPad === 'SAME_UPPER' ? Math.floor(total / 2) : total - Math.floor(total / 2) };
  };
  const rows = axis(0, height);
  const columns = axis(1, width);
  return { outHeight: rows.out, outWidth: columns.out, padTop: rows.begin, padLeft: columns.begin };
}

export function importConvTranspose(node: OnnxNode, ctx: ImportContext): GraphStep {
  const where = `ConvTranspose node '${node.name}'`;
  const weight = requiredConstant(node, ctx, 1, 'weight');
  if (weight.dims.length !== 4) throw new ModelImportError(`${where}: weight has shape [${weight.dims.join(', ')}]; only 2-D transposed convolutions (4-D weights) are supported`);
  const bias = constantInput(node, ctx, 2, 'bias');
  const a = node.attributes;
  const shape = weight.dims as [number, number, number, number];
  const groups = groupAttribute(a, where);
  if (shape[0] % groups !== 0) throw new ModelImportError(`${where}: ${shape[0]} input channels do not split into ${groups} groups`);
  return layerStep(node, new ConvTransposeLayer({
    name: node.name,
    weight: weight.data,
    shape,
    bias: bias?.data,
    groups,
    stride: pairAttribute(a, 'strides', 1, where),
    dilation: pairAttribute(a, 'dilations', 1, where),
    geometryFor: (height, width) => transposedGeometry(node, [shape[2], shape[3]], height, width),
    activation: node.fusedActivation?.activation ?? 'none',
    leakyReluAlpha: node.fusedActivation?.alpha ?? 0.01,
    threshold: ctx.thresholdFor(node),
    ...(ctx.thresholdScale ? { thresholdScale: ctx.thresholdScale } : {}),
    reuseOutput: true,
  }));
}
