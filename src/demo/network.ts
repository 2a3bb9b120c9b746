/**
 * The built-in demo network: a MobileNet-style stack (3x3 stem, then depthwise 3x3 + pointwise 1x1
 * blocks, ReLU6, a global pool and a classifier) with SEEDED RANDOM weights. It is not trained: it
 * exists to show where rx-rrm saves work on a realistic layer mix, without downloading a model.
 */
import type { OperatorFunction } from 'rxjs';
import type { KernelBackend } from '../kernels/backend.js';
import { globalAvgPool } from '../operators/reshape.js';
import { rrmConv } from '../operators/rrm-conv.js';
import { rrmFc } from '../operators/rrm-fc.js';
import type { FeatureMap } from '../types.js';
import { gaussian, seededRandom } from './random.js';

export interface DemoNetworkOptions {
  readonly threshold?: number;
  readonly backend?: KernelBackend;
  readonly seed?: number;
  readonly classes?: number;
}

/** [name, outChannels, stride] of each depthwise-separable block after the stem. */
const BLOCKS: readonly [string, number, number][] = [
  ['block1', 32, 1],
  ['block2', 48, 2],
  ['block3', 48, 1],
  ['block4', 64, 2],
];

/** The demo network's layers, in order, as rx-rrm operators. */
export function demoNetwork(options: DemoNetworkOptions = {}): OperatorFunction<FeatureMap, FeatureMap>[] {
  const random = seededRandom(options.seed ?? 7);
  const threshold = options.threshold ?? 0;
  const backend = options.backend ? { backend: options.backend } : {};
  // He initialisation keeps activations in a stable range through the stack.
  const weights = (count: number, fanIn: number) => Float32Array.from({ length: count }, () => gaussian(random) * Math.sqrt(2 / fanIn));
  const layers: OperatorFunction<FeatureMap, FeatureMap>[] = [];
  let channels = 16;
  layers.push(rrmConv({ name: 'stem', weight: weights(16 * 3 * 9, 27), shape: [16, 3, 3, 3], stride: 2, padding: 'same', activation: 'relu6', threshold, ...backend }));
  for (const [name, out, stride] of BLOCKS) {
    layers.push(rrmConv({ name: `${name}.dw`, weight: weights(channels * 9, 9), shape: [channels, 1, 3, 3], groups: channels, stride, padding: 'same', activation: 'relu6', threshold, ...backend }));
    layers.push(rrmConv({ name: `${name}.pw`, weight: weights(out * channels, channels), shape: [out, channels, 1, 1], activation: 'relu6', threshold, ...backend }));
    channels = out;
  }
  const classes = options.classes ?? 10;
  layers.push(globalAvgPool({ name: 'pool' }));
  layers.push(rrmFc({ name: 'classifier', weight: weights(classes * channels, channels), outFeatures: classes, threshold, ...backend }));
  return layers;
}
