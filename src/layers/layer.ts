/**
 * A single-input layer split into its shared, immutable definition and per-subscription state.
 * Operators run one layer per RxJS operator (`layerOperator`); a model graph runs many layers inside
 * one operator, holding one state per node. Either way the state lives exactly as long as a subscription.
 */
import type { FeatureMap } from '../types.js';

export interface Layer<S = unknown> {
  readonly name: string;
  createState(): S;
  /** Computes the output for one item; throws an `RrmInputError` for input it cannot take. */
  step(state: S, input: FeatureMap): FeatureMap;
  disposeState?(state: S): void;
}
