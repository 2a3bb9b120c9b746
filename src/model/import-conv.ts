/** Conv as an RRM layer; ConvTranspose computed densely every frame. */
import { prepareConv } from '../operators/rrm-conv.js';
import type { Padding } from '../kernels/geometry.js';
import { findNonFinite } from '../kernels/non-finite.js';
import { isWindowOptionProblem, windowPadding, windowPair } from '../layers/window-options.js';
import { deriveMap, passStats } from '../layers/map-meta.js';
import { RrmInputError } from '../layers/validate.js';
import type { FeatureMap } from '../types.js';
import { ModelImportError } from './errors.js';
import type { NodeAttributes, OnnxNode } from './graph.js';
import { asImageMap } from './layout.js';
import { layerStep, requireInput, type GraphStep, type ImportContext } from './step.js';
import type { Tensor } from './tensor.js';

function constantInput(node: OnnxNode, ctx: ImportContext, k: number, label: string): Tensor | undefined {
  const name = node.inputs[k];
  if (!name) return undefined;
  const t = ctx.graph.constants.get(name);
  if (!t) throw new ModelImportError(`${node.opType} node '${node.name}': the ${label} ('${name}') must be a constant (initializer); computed ${label}s are not supported`);
  return t;
}

/** A constant input the operator cannot do without (a Conv's weight). */
function requiredConstant(node: OnnxNode, ctx: ImportContext, k: number, label: string): Tensor {
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
function nonNegativePairAttribute(a: NodeAttributes, name: string, where: string): [number, number] {
  const values = a.ints(name) ?? [0, 0];
  if (values.length !== 2 || !values.every((v) => Number.isSafeInteger(v) && v >= 0)) {
    throw new ModelImportError(`${where}: ${name} [${values.join(', ')}] must be two integers ≥ 0`);
  }
  return [values[0]!, values[1]!];
}

/** The `group` attribute: a positive integer. */
function groupAttribute(a: NodeAttributes, where: string): number {
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

/**
 * ConvTranspose (weights `[Cin, Cout/group, kH, kW]`), computed densely each frame by scattering
 * every input pixel through the kernel: it is rare in the models rx-rrm targets (decoders), so it
 * has no delta form yet.
 */
export function importConvTranspose(node: OnnxNode, ctx: ImportContext): GraphStep {
  const where = `ConvTranspose node '${node.name}'`;
  const weight = requiredConstant(node, ctx, 1, 'weight');
  if (weight.dims.length !== 4) throw new ModelImportError(`${where}: weight has shape [${weight.dims.join(', ')}]; only 2-D transposed convolutions are supported`);
  const bias = constantInput(node, ctx, 2, 'bias');
  const a = node.attributes;
  const [inChannels, outPerGroup, kernelH, kernelW] = weight.dims as [number, number, number, number];
  const groups = groupAttribute(a, where);
  if (inChannels % groups !== 0 || !weight.dims.every((d) => d >= 1)) {
    throw new ModelImportError(`${where}: weight [${weight.dims.join(', ')}] must have positive dims and input channels divisible by group ${groups}`);
  }
  const [strideH, strideW] = pairAttribute(a, 'strides', 1, where);
  const [dilationH, dilationW] = pairAttribute(a, 'dilations', 1, where);
  const [outPadH, outPadW] = nonNegativePairAttribute(a, 'output_padding', where);
  const explicitPads = autoPadPads(a, where);
  const outputShape = a.ints('output_shape');
  const autoPad = a.string('auto_pad', 'NOTSET');
  if (outputShape && !outputShape.every((d) => Number.isSafeInteger(d) && d >= 1)) {
    throw new ModelImportError(`${where}: output_shape [${outputShape.join(', ')}] must hold positive integers`);
  }
  const outChannels = outPerGroup * groups;
  const inPerGroup = inChannels / groups;

  /** Output size and leading pad along one axis. */
  const axis = (size: number, stride: number, dilation: number, kernel: number, outPad: number, padBegin: number, padEnd: number, requested: number | undefined) => {
    const full = stride * (size - 1) + outPad + (kernel - 1) * dilation + 1;
    const target = requested ?? (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER' ? size * stride : undefined);
    if (target === undefined) return { out: full - padBegin - padEnd, begin: padBegin };
    const total = full - target;
    const begin = autoPad === 'SAME_UPPER' ? Math.floor(total / 2) : total - Math.floor(total / 2);
    return { out: target, begin };
  };

  const compute = (map: FeatureMap): FeatureMap => {
    const started = performance.now();
    if (map.channels !== inChannels) throw new RrmInputError(`${where}: input has ${map.channels} channels, expected ${inChannels}`);
    const pads = autoPad === 'VALID' ? [0, 0, 0, 0] : explicitPads;
    const ay = axis(map.height, strideH, dilationH, kernelH, outPadH, pads[0]!, pads[2]!, outputShape?.[outputShape.length - 2]);
    const ax = axis(map.width, strideW, dilationW, kernelW, outPadW, pads[1]!, pads[3]!, outputShape?.[outputShape.length - 1]);
    if (!(ay.out >= 1 && ax.out >= 1)) {
      throw new RrmInputError(`${where}: input ${map.height}x${map.width} gives an output of ${ay.out}x${ax.out}: expected at least 1x1 (check pads and output_shape)`);
    }
    const elements = ay.out * ax.out * outChannels;
    if (elements > ctx.graph.limits.maxTensorElements) {
      throw new RrmInputError(`${where}: input ${map.height}x${map.width} gives an output of ${ay.out}x${ax.out}x${outChannels} = ${elements} values, more than maxTensorElements = ${ctx.graph.limits.maxTensorElements}`);
    }
    const out = new Float32Array(elements);
    for (let p = 0; p < ay.out * ax.out; p++) for (let o = 0; o < outChannels; o++) out[p * outChannels + o] = bias?.data[o] ?? 0;
    for (let iy = 0; iy < map.height; iy++) {
      for (let ix = 0; ix < map.width; ix++) {
        for (let ci = 0; ci < inChannels; ci++) {
          const x = map.data[(iy * map.width + ix) * inChannels + ci]!;
          if (x === 0) continue;
          const group = Math.floor(ci / inPerGroup);
          for (let ky = 0; ky < kernelH; ky++) {
            const oy = iy * strideH - ay.begin + ky * dilationH;
            if (oy < 0 || oy >= ay.out) continue;
            for (let kx = 0; kx < kernelW; kx++) {
              const ox = ix * strideW - ax.begin + kx * dilationW;
              if (ox < 0 || ox >= ax.out) continue;
              const base = (oy * ax.out + ox) * outChannels + group * outPerGroup;
              for (let co = 0; co < outPerGroup; co++) {
                out[base + co]! += x * weight.data[((ci * outPerGroup + co) * kernelH + ky) * kernelW + kx]!;
              }
            }
          }
        }
      }
    }
    const macs = map.height * map.width * inChannels * outPerGroup * kernelH * kernelW;
    return deriveMap(map, out, ay.out, ax.out, outChannels, { ...passStats(node.name, 'convTranspose', 1, true, started), macs, denseMacs: macs });
  };
  return {
    node,
    createState: () => null,
    run: (_state, inputs, frame) => {
      const out = compute(asImageMap(requireInput(node, inputs), frame.meta, where));
      frame.stats.push(...out.stats);
      return [{ kind: 'map', map: out, dims: [1, out.channels, out.height, out.width] }];
    },
  };
}

/** ConvTranspose's explicit pads: four integers ≥ 0. */
function autoPadPads(a: NodeAttributes, where: string): number[] {
  const pads = a.ints('pads') ?? [0, 0, 0, 0];
  if (pads.length !== 4 || !pads.every((p) => Number.isSafeInteger(p) && p >= 0)) {
    throw new ModelImportError(`${where}: pads [${pads.join(', ')}] must be four integers ≥ 0`);
  }
  return pads;
}
