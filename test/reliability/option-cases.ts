/**
 * Seeded random operator options, good and bad: conv, fully connected, max/avg pool and activations
 * with every numeric option drawn from valid values, edge values and nonsense (negative, NaN,
 * fractions, strings, huge), and two input maps (a keyframe and a delta) of a random size.
 */
import type { OperatorFunction } from 'rxjs';
import { activation, avgPool, maxPool, rrmConv, rrmFc } from '../../src/index.js';
import type { KernelBackend } from '../../src/kernels/backend.js';
import type { Activation, FeatureMap } from '../../src/types.js';
import { prng } from '../helpers/random.js';

export interface OptionCase {
  readonly description: string;
  readonly build: () => OperatorFunction<FeatureMap, FeatureMap>;
  readonly inputs: FeatureMap[];
}

const NONSENSE: readonly unknown[] = [-1, -2, 0, 0.5, NaN, Infinity, -Infinity, 1e9, 2 ** 31, 'bogus', '2', null, [1], [1, 2, 3], {}];

export function optionCase(seed: number, backend: KernelBackend): OptionCase {
  const random = prng(seed);
  const int = (min: number, max: number) => min + Math.floor(random() * (max - min + 1));
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  /** Usually a valid small integer, sometimes an edge value, sometimes nonsense. */
  const size = (min: number, max: number): unknown => {
    const r = random();
    return r < 0.75 ? int(min, max) : r < 0.85 ? pick([0, 1, 64, 1000]) : pick(NONSENSE);
  };
  const pair = (min: number, max: number): unknown => (random() < 0.7 ? size(min, max) : [size(min, max), size(min, max)]);
  const padding = (): unknown => {
    const r = random();
    if (r < 0.4) return int(0, 3);
    if (r < 0.55) return pick(['same', 'sameLower', 'valid']);
    if (r < 0.7) return [int(0, 4), int(0, 4), int(0, 4), int(0, 4)];
    if (r < 0.8) return pick([5000, 64, 100]);
    return pick([...NONSENSE, [0, -1, 0, 0], [0, 0, 0, 0.5]]);
  };
  const height = int(1, 12);
  const width = int(1, 12);
  const channels = int(1, 6);
  const map = (index: number, data: Float32Array): FeatureMap => ({ data, height, width, channels, index, timestamp: index * 40, keyframe: false, stats: [] });
  const first = Float32Array.from({ length: height * width * channels }, () => random() * 4 - 2);
  const second = first.map((v) => (random() < 0.3 ? v + random() - 0.5 : v));
  const inputs = [map(0, first), map(1, second)];
  const kind = pick(['conv', 'conv', 'conv', 'fc', 'maxPool', 'avgPool', 'activation'] as const);
  const threshold = random() < 0.85 ? pick([0, 0, 0.01, 0.1]) : pick(NONSENSE);

  switch (kind) {
    case 'conv': {
      const groups = random() < 0.6 ? 1 : size(1, 4);
      const g = typeof groups === 'number' && Number.isInteger(groups) && groups > 0 && groups < 64 ? groups : 1;
      const inPerGroup = random() < 0.8 ? Math.max(1, Math.floor(channels / g)) : size(1, 4);
      const shape = [random() < 0.8 ? g * int(1, 3) : size(1, 8), inPerGroup, size(1, 5), size(1, 5)];
      const count = shape.every((d) => typeof d === 'number' && Number.isInteger(d) && d > 0 && d < 100) ? (shape as number[]).reduce((a, b) => a * b, 1) : int(0, 50);
      const weight = Float32Array.from({ length: random() < 0.9 ? count : int(0, 50) }, () => random() - 0.5);
      const options = { shape, groups, stride: pair(1, 3), dilation: pair(1, 3), padding: padding(), threshold, activation: pick(['none', 'relu', 'relu6', 'leakyRelu', 'sigmoid', 'hardSwish', 'tanh']) };
      return {
        description: `conv ${JSON.stringify(options)} on ${height}x${width}x${channels}`,
        build: () => rrmConv({ ...(options as object), weight, backend } as Parameters<typeof rrmConv>[0]),
        inputs,
      };
    }
    case 'fc': {
      const outFeatures = size(1, 6);
      const inFeatures = random() < 0.8 ? height * width * channels : int(1, 100);
      const out = typeof outFeatures === 'number' && Number.isInteger(outFeatures) && outFeatures > 0 && outFeatures < 100 ? outFeatures : 3;
      const weight = Float32Array.from({ length: out * inFeatures }, () => random() - 0.5);
      return {
        description: `fc outFeatures ${String(outFeatures)} in ${inFeatures} threshold ${String(threshold)} on ${height}x${width}x${channels}`,
        build: () => rrmFc({ weight, outFeatures: outFeatures as number, threshold: threshold as number, backend }),
        inputs,
      };
    }
    case 'maxPool':
    case 'avgPool': {
      const options = { kernel: pair(1, 4), stride: random() < 0.3 ? undefined : pair(1, 3), dilation: pair(1, 2), padding: padding(), ceilMode: random() < 0.3, countIncludePad: random() < 0.3 };
      return {
        description: `${kind} ${JSON.stringify(options)} on ${height}x${width}x${channels}`,
        build: () => (kind === 'maxPool' ? maxPool : avgPool)(options as Parameters<typeof maxPool>[0]),
        inputs,
      };
    }
    default: {
      const kindOf = pick(['relu', 'relu6', 'leakyRelu', 'sigmoid', 'hardSwish', 'none']) as Activation;
      const alpha = random() < 0.8 ? 0.01 : pick(NONSENSE);
      return { description: `activation ${kindOf} alpha ${String(alpha)}`, build: () => activation(kindOf, { leakyReluAlpha: alpha as number }), inputs };
    }
  }
}
