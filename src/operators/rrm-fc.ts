import type { OperatorFunction } from 'rxjs';
import { defaultBackend } from '../kernels/default-backend.js';
import { packLinearWeights } from '../kernels/pack.js';
import { RrmLayer } from '../layers/rrm-layer.js';
import { RrmInputError } from '../layers/validate.js';
import type { FeatureMap } from '../types.js';
import { layerName } from './names.js';
import { checkLayerOptions, requireFiniteValues, type CommonLayerOptions, type LayerEmission } from './options.js';
import { layerOperator } from './layer-operator.js';
import { checkGeometry } from './rrm-conv.js';
import type { ConvGeometry } from '../kernels/geometry.js';

export interface RrmFcOptions extends CommonLayerOptions {
  /** `[out, in]` row-major, where `in` indexes the incoming map's `data` as stored (HWC). */
  readonly weight: Float32Array;
  readonly outFeatures: number;
}

/**
 * A fully-connected layer is a conv whose kernel covers the whole input map: one output pixel,
 * every input pixel one tap. So it runs on the conv kernels, keeps pixel-wise activity (no need
 * to `flatten` first), and its weights `[out, in(HWC)]` pack to the conv scatter order directly.
 */
export function prepareFc(options: RrmFcOptions, emission: LayerEmission = {}): RrmLayer {
  const name = layerName('fc', options.name);
  const outFeatures = options.outFeatures;
  if (!Number.isInteger(outFeatures) || outFeatures <= 0) {
    throw new RrmInputError(`${name}: outFeatures must be a positive integer, got ${outFeatures}`);
  }
  if (!(options.weight instanceof Float32Array) || options.weight.length === 0 || options.weight.length % outFeatures !== 0) {
    throw new RrmInputError(`${name}: weight must be a Float32Array of outFeatures*inFeatures values, got ${options.weight?.length ?? options.weight} for ${outFeatures} outputs`);
  }
  requireFiniteValues(name, 'weight', options.weight);
  const inFeatures = options.weight.length / outFeatures;
  const { maxTensorElements, ...common } = checkLayerOptions(name, options, outFeatures);
  const packed = packLinearWeights(options.weight, outFeatures, inFeatures);
  return new RrmLayer({
    name, kind: 'fc', weights: { packed, bias: options.bias },
    geometryFor: (height, width, channels) => {
      if (height * width * channels !== inFeatures) {
        throw new RrmInputError(`${name}: input ${height}x${width}x${channels} has ${height * width * channels} values, expected ${inFeatures} (weight [${outFeatures}, ${inFeatures}])`);
      }
      const geometry: ConvGeometry = {
        inHeight: height, inWidth: width, inChannels: channels,
        outHeight: 1, outWidth: 1, outChannels: outFeatures,
        kernelHeight: height, kernelWidth: width, strideH: 1, strideW: 1, dilationH: 1, dilationW: 1,
        padTop: 0, padLeft: 0, padBottom: 0, padRight: 0, groups: 1,
      };
      checkGeometry(name, geometry, maxTensorElements, `input ${height}x${width}x${channels}`);
      return geometry;
    },
    ...common, backend: options.backend ?? defaultBackend(), reuseOutput: emission.fused ?? false,
  });
}

/** A fully-connected layer as a Recurrent Residual Module; emits a 1x1xout map. */
export function rrmFc(options: RrmFcOptions): OperatorFunction<FeatureMap, FeatureMap> {
  return layerOperator(prepareFc(options));
}
