import type { OperatorFunction } from 'rxjs';
import type { Padding } from '../kernels/geometry.js';
import { PoolLayer } from '../layers/pool-layer.js';
import type { FeatureMap } from '../types.js';
import { layerOperator } from './layer-operator.js';
import { layerName } from './names.js';
import { pair, paddingOption } from './options.js';

export interface PoolOptions {
  readonly kernel: number | readonly [number, number];
  /** Default: the kernel size. */
  readonly stride?: number | readonly [number, number];
  readonly padding?: Padding;
  readonly dilation?: number | readonly [number, number];
  readonly ceilMode?: boolean;
  /** Average pooling only: divide by the whole window, padding included (ONNX count_include_pad). */
  readonly countIncludePad?: boolean;
  readonly name?: string;
  /** Largest output (values) accepted for an input size, checked before allocating it; default 2^26. */
  readonly maxTensorElements?: number;
}

export const maxPool = (options: PoolOptions) => pool('max', options);
export const avgPool = (options: PoolOptions) => pool('avg', options);

function pool(kind: 'max' | 'avg', options: PoolOptions): OperatorFunction<FeatureMap, FeatureMap> {
  const name = layerName(`${kind}Pool`, options.name);
  const kernel = pair(name, 'kernel', options.kernel);
  return layerOperator(
    new PoolLayer(name, {
      kind,
      kernel,
      stride: pair(name, 'stride', options.stride ?? kernel),
      dilation: pair(name, 'dilation', options.dilation ?? 1),
      padding: paddingOption(name, options.padding ?? 0),
      ceilMode: options.ceilMode ?? false,
      countIncludePad: options.countIncludePad ?? false,
      ...(options.maxTensorElements !== undefined ? { maxTensorElements: options.maxTensorElements } : {}),
    }),
  );
}
