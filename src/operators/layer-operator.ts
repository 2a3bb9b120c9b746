import type { OperatorFunction } from 'rxjs';
import type { Layer } from '../layers/layer.js';
import type { FeatureMap } from '../types.js';
import { mapWithState } from './with-state.js';

/** Runs a layer as an RxJS operator, with its own state per subscription. */
export function layerOperator<S>(layer: Layer<S>): OperatorFunction<FeatureMap, FeatureMap> {
  return mapWithState(
    () => layer.createState(),
    (state, map: FeatureMap) => layer.step(state, map),
    (state) => layer.disposeState?.(state),
  );
}
