import type { OperatorFunction } from 'rxjs';
import { FlattenLayer, GlobalAvgPoolLayer, SoftmaxLayer } from '../layers/shape-layers.js';
import type { FeatureMap } from '../types.js';
import { layerOperator } from './layer-operator.js';
import { layerName } from './names.js';

type Options = { name?: string };
type Operator = OperatorFunction<FeatureMap, FeatureMap>;

/** Mean over all pixels per channel: a 1x1xC map. */
export const globalAvgPool = (options: Options = {}): Operator => layerOperator(new GlobalAvgPoolLayer(layerName('globalAvgPool', options.name)));
/** A 1x1x(H·W·C) map of the same data, no copy. `rrmFc` does not need it. */
export const flatten = (options: Options = {}): Operator => layerOperator(new FlattenLayer(layerName('flatten', options.name)));
/** Softmax over the channels of every pixel. */
export const softmax = (options: Options = {}): Operator => layerOperator(new SoftmaxLayer(layerName('softmax', options.name)));
