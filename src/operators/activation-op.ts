import type { OperatorFunction } from 'rxjs';
import { ACTIVATIONS } from '../kernels/activation.js';
import { ActivationLayer } from '../layers/activation-layer.js';
import { RrmInputError } from '../layers/validate.js';
import type { Activation, FeatureMap } from '../types.js';
import { layerOperator } from './layer-operator.js';
import { layerName } from './names.js';

/** An element-wise non-linearity as its own operator (rrm layers also take one as `activation`). */
export function activation(kind: Activation, options: { leakyReluAlpha?: number; name?: string } = {}): OperatorFunction<FeatureMap, FeatureMap> {
  const name = layerName(String(kind), options.name);
  if (!ACTIVATIONS.includes(kind)) throw new RrmInputError(`${name}: activation must be one of ${ACTIVATIONS.join(', ')}, got ${String(kind)}`);
  const alpha = options.leakyReluAlpha ?? 0.01;
  if (typeof alpha !== 'number' || !Number.isFinite(alpha)) throw new RrmInputError(`${name}: leakyReluAlpha must be a finite number, got ${String(alpha)}`);
  return layerOperator(new ActivationLayer(name, kind, alpha));
}

export const relu = (options: { name?: string } = {}) => activation('relu', options);
