import type { OperatorFunction } from 'rxjs';
import { defaultBackend } from '../kernels/default-backend.js';
import { resolveWindow, type ConvGeometry, type Padding } from '../kernels/geometry.js';
import { packConvWeights } from '../kernels/pack.js';
import { validateConvGeometry } from '../kernels/validate-geometry.js';
import { RrmLayer } from '../layers/rrm-layer.js';
import { RrmInputError } from '../layers/validate.js';
import type { FeatureMap } from '../types.js';
import { layerName } from './names.js';
import { checkLayerOptions, requireFiniteValues, pair, paddingOption, type CommonLayerOptions, type LayerEmission } from './options.js';
import { layerOperator } from './layer-operator.js';

export interface RrmConvOptions extends CommonLayerOptions {
  /** Weights in ONNX/PyTorch order `[outChannels, inChannels/groups, kernelH, kernelW]`. */
  readonly weight: Float32Array;
  readonly shape: readonly [number, number, number, number];
  readonly stride?: number | readonly [number, number];
  /** A number, `[top, left, bottom, right]`, `'same'` (output = ceil(input / stride)) or `'valid'`. */
  readonly padding?: Padding;
  readonly dilation?: number | readonly [number, number];
  /** Channel groups; `groups = inChannels = outChannels` is a depthwise conv. */
  readonly groups?: number;
  /** Record which input pixels were integrated in each item's stats (for `--overlay` pictures). */
  readonly traceActivity?: boolean;
}

/** Validates and repacks the weights once; the result is shared by every subscription. */
export function prepareConv(options: RrmConvOptions, emission: LayerEmission = {}): RrmLayer {
  const name = layerName('conv', options.name);
  const [outChannels, inPerGroup, kernelH, kernelW] = options.shape ?? [];
  const groups = options.groups ?? 1;
  for (const [label, value] of [['outChannels', outChannels], ['inChannels/groups', inPerGroup], ['kernelH', kernelH], ['kernelW', kernelW], ['groups', groups]] as const) {
    if (!Number.isSafeInteger(value) || (value as number) <= 0) {
      throw new RrmInputError(`${name}: ${label} must be a positive integer, got ${value}`);
    }
  }
  const dims = { outChannels: outChannels!, inPerGroup: inPerGroup!, kernelH: kernelH!, kernelW: kernelW! };
  const expected = dims.outChannels * dims.inPerGroup * dims.kernelH * dims.kernelW;
  if (!(options.weight instanceof Float32Array) || options.weight.length !== expected) {
    throw new RrmInputError(
      `${name}: weight must be a Float32Array of ${dims.outChannels}*${dims.inPerGroup}*${dims.kernelH}*${dims.kernelW} = ${expected} values, got ${options.weight?.length ?? options.weight}`,
    );
  }
  requireFiniteValues(name, 'weight', options.weight);
  if (dims.outChannels % groups !== 0) {
    throw new RrmInputError(`${name}: outChannels ${dims.outChannels} is not divisible by groups ${groups}`);
  }
  const { maxTensorElements, ...common } = checkLayerOptions(name, options, dims.outChannels);
  const stride = pair(name, 'stride', options.stride ?? 1);
  const dilation = pair(name, 'dilation', options.dilation ?? 1);
  const padding = paddingOption(name, options.padding ?? 0);
  const inChannels = dims.inPerGroup * groups;
  const packed = packConvWeights(options.weight, dims.outChannels, inChannels, groups, dims.kernelH, dims.kernelW);

  const geometryFor = (height: number, width: number, channels: number): ConvGeometry => {
    if (channels !== inChannels) {
      throw new RrmInputError(`${name}: input has ${channels} channels, expected ${inChannels} (weight shape [${options.shape.join(', ')}], groups ${groups})`);
    }
    const window = resolveWindow(height, width, { kernel: [dims.kernelH, dims.kernelW], stride, dilation, padding });
    if (window.outHeight <= 0 || window.outWidth <= 0) {
      throw new RrmInputError(`${name}: input ${height}x${width} is smaller than the ${dims.kernelH}x${dims.kernelW} kernel (dilation ${dilation.join('x')}) with padding ${JSON.stringify(padding)}`);
    }
    const geometry: ConvGeometry = {
      inHeight: height, inWidth: width, inChannels,
      outHeight: window.outHeight, outWidth: window.outWidth, outChannels: dims.outChannels,
      kernelHeight: dims.kernelH, kernelWidth: dims.kernelW,
      strideH: stride[0], strideW: stride[1], dilationH: dilation[0], dilationW: dilation[1],
      padTop: window.padTop, padLeft: window.padLeft, padBottom: window.padBottom, padRight: window.padRight,
      groups,
    };
    checkGeometry(name, geometry, maxTensorElements, `input ${height}x${width}x${channels} with padding ${JSON.stringify(padding)}`);
    return geometry;
  };
  return new RrmLayer({
    name, kind: 'conv', weights: { packed, bias: options.bias }, geometryFor,
    ...common, backend: options.backend ?? defaultBackend(), traceActivity: options.traceActivity ?? false,
    reuseOutput: emission.fused ?? false,
  });
}

/**
 * A convolution as a Recurrent Residual Module: emits `f(W·I + b)` for every map, computing only
 * `W·(I − Ĩ)` over the pixels that changed by more than τ since they were last integrated.
 */
export function rrmConv(options: RrmConvOptions): OperatorFunction<FeatureMap, FeatureMap> {
  return layerOperator(prepareConv(options));
}

/**
 * The kernels' preconditions (`validateConvGeometry`) as an `RrmInputError` naming the layer:
 * checked before the backend creates an engine, so nothing is allocated for a geometry it refuses.
 */
export function checkGeometry(name: string, geometry: ConvGeometry, maxTensorElements: number | undefined, context: string): void {
  try {
    validateConvGeometry(geometry, maxTensorElements === undefined ? {} : { maxTensorElements });
  } catch (error) {
    if (error instanceof RangeError) throw new RrmInputError(`${name}: ${context}: ${error.message}`);
    throw error;
  }
}
