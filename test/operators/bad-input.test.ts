// Bad input: an error notification that names the layer, says what was expected and what came,
// and leaves every other subscription of the same pipeline working.
import { from, lastValueFrom, Subject, toArray } from 'rxjs';
import t from 'tap';
import { rrmConv, rrmFc, toTensor, RrmInputError } from '../../src/index.js';
import type { FeatureMap } from '../../src/types.js';
import { featureMap, relativeError } from '../helpers/maps.js';
import { referenceConv, type ConvSpec } from '../helpers/reference-stack.js';
import { prng, randomArray } from '../helpers/random.js';

const random = prng(31);
const stem: ConvSpec = { weight: randomArray(random, 4 * 3 * 9), shape: [4, 3, 3, 3], padding: 1 };
const conv = () => rrmConv({ name: 'stem', ...stem });
const good = (i: number) => featureMap(randomArray(random, 6 * 6 * 3), 6, 6, 3, i);

async function errorOf(values: unknown[], op = conv()): Promise<Error> {
  try {
    await lastValueFrom(from(values as FeatureMap[]).pipe(op, toArray()));
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error notification');
}

t.test('wrong channel count', async (t) => {
  const error = await errorOf([featureMap(new Float32Array(6 * 6 * 2), 6, 6, 2)]);
  t.type(error, RrmInputError);
  t.match(error.message, /stem: input has 2 channels, expected 3/);
});

t.test('data length that does not match the shape', async (t) => {
  t.match((await errorOf([featureMap(new Float32Array(10), 6, 6, 3)])).message, /stem: data has 10 values, expected .* = 108/);
});

t.test('NaN and Infinity, on a keyframe and on a delta frame', async (t) => {
  const nan = good(0);
  nan.data[7] = NaN;
  t.match((await errorOf([nan])).message, /stem: input pixel \(y=0, x=2\) channel 1 is NaN; expected finite/);
  const first = good(0);
  const second = featureMap(first.data.slice(), 6, 6, 3, 1);
  second.data[3 * (6 * 4 + 5)] = Infinity;
  t.match((await errorOf([first, second])).message, /stem: input pixel \(y=4, x=5\) channel 0 is Infinity; expected finite/);
});

t.test('values that are not feature maps', async (t) => {
  t.match((await errorOf([42])).message, /stem: expected a FeatureMap with Float32Array data, got number 42/);
  t.match((await errorOf([{ data: [1, 2, 3], height: 1, width: 1, channels: 3 }])).message, /data of type Array/);
  t.match((await errorOf([null], toTensor() as never)).message, /toTensor: expected a Frame with Uint8Array data, got null/);
});

t.test('bad options throw at construction, naming the layer and the expectation', async (t) => {
  t.throws(() => rrmConv({ name: 'c', weight: new Float32Array(10), shape: [4, 3, 3, 3] }), /c: weight must be a Float32Array of 4\*3\*3\*3 = 108 values, got 10/);
  t.throws(() => rrmConv({ name: 'c', weight: new Float32Array(108), shape: [4, 3, 3, 3], bias: new Float32Array(3) }), /c: bias must be a Float32Array of 4 values, got 3/);
  t.throws(() => rrmConv({ name: 'c', weight: new Float32Array(36), shape: [4, 1, 3, 3], groups: 3 }), /outChannels 4 is not divisible by groups 3/);
  t.throws(() => rrmConv({ name: 'c', weight: new Float32Array(108), shape: [4, 3, 3, 3], stride: 0 }), /c: stride must be a positive integer/);
  t.throws(() => rrmConv({ name: 'c', weight: new Float32Array(108), shape: [4, 3, 3, 3], threshold: -1 }), /threshold must be a finite number >= 0/);
  t.throws(() => rrmConv({ name: 'c', weight: new Float32Array(108), shape: [4, 3, 3, 3], activation: 'tanh' as never }), /activation must be one of/);
  t.throws(() => rrmFc({ name: 'f', weight: new Float32Array(10), outFeatures: 3 }), /f: weight must be a Float32Array of outFeatures\*inFeatures values, got 10 for 3 outputs/);
});

t.test('fully connected layer given the wrong input size', async (t) => {
  const fc = rrmFc({ name: 'head', weight: new Float32Array(5 * 20), outFeatures: 5 });
  t.match((await errorOf([good(0)], fc)).message, /head: input 6x6x3 has 108 values, expected 20/);
});

t.test('a failing subscription does not disturb another subscription of the same pipeline', async (t) => {
  const layer = conv();
  const healthy = new Subject<FeatureMap>();
  const broken = new Subject<FeatureMap>();
  const healthyOut: FeatureMap[] = [];
  let brokenError: unknown;
  healthy.pipe(layer).subscribe((m) => healthyOut.push(m));
  broken.pipe(layer).subscribe({ error: (e) => (brokenError = e) });
  const frames = Array.from({ length: 6 }, (_, i) => good(i));
  healthy.next(frames[0]!);
  broken.next(frames[1]!);
  broken.next(featureMap(new Float32Array(6 * 6 * 5), 6, 6, 5));
  for (const f of frames.slice(1)) healthy.next(f);
  t.type(brokenError, RrmInputError);
  t.equal(healthyOut.length, 6);
  // Same weights are needed for comparison: rerun through the same prepared layer.
  const again = await lastValueFrom(from(frames).pipe(layer, toArray()));
  t.same(healthyOut.map((m) => Array.from(m.data)), again.map((m) => Array.from(m.data)), 'identical to an undisturbed run');
  // And right, not only repeatable: each frame equals the dense reference conv.
  const worst = Math.max(...healthyOut.map((m, i) => relativeError(m.data, referenceConv(stem, frames[i]!).data)));
  t.ok(worst <= 1e-5, `healthy subscription within ${worst.toExponential(2)} of the dense reference`);
});
