/** Shared by the source examples: the demo network as one operator, and how much work a frame took. */
import { pipe, type OperatorFunction } from 'rxjs';
import { demoNetwork, type FeatureMap, type LayerStats } from 'rx-rrm';

/**
 * The built-in MobileNet-style demo network (seeded random weights, not a trained model) as one
 * operator: put your model's `preprocess()` and `operator()` here instead.
 */
export function demoModel(threshold = 0.02): OperatorFunction<FeatureMap, FeatureMap> {
  return (pipe as (...ops: OperatorFunction<FeatureMap, FeatureMap>[]) => OperatorFunction<FeatureMap, FeatureMap>)(...demoNetwork({ threshold }));
}

/** Multiply-adds done over the dense count, for one item's stats. */
export function workFraction(stats: readonly LayerStats[]): number {
  return stats.reduce((n, s) => n + s.macs, 0) / stats.reduce((n, s) => n + s.denseMacs, 0);
}
