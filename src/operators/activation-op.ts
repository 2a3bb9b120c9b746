import type { OperatorFunction } from 'rxjs';
import { ActivationLayer } from '../layers/activation-layer.js';
import type { Activation, FeatureMap } from '../types.js';
import { layerOperator } from './layer-operator.js';
import { layerName } from './names.js';

/** An element-wise non-linearity as its own operator (rrm layers also take one as `activation`). */
export function activation(kind: Activation, options: { leakyReluAlpha?: number; name?: string } = {}): OperatorFunction<FeatureMap, FeatureMap> {
  return layerOperator(new ActivationLayer(layerName(kind, options.name), kind, options.leakyReluAlpha));
}

export const relu = (options: { name?: string } = {}) => activation('relu', options);
