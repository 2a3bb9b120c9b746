// NaN and ±Infinity are refused by every operator that reads values, as the conv and fc layers
// refuse them: an RrmInputError naming the layer and the pixel, on keyframes and on delta items.
import { from, lastValueFrom, Subject, toArray, type OperatorFunction } from 'rxjs';
import t from 'tap';
import { activation, avgPool, concat, flatten, globalAvgPool, maxPool, relu, residual, RrmInputError, softmax, toTensor } from '../../src/index.js';
import type { Activation, FeatureMap, Frame } from '../../src/types.js';
import { featureMap } from '../helpers/maps.js';
import { prng, randomArray } from '../helpers/random.js';

const random = prng(61);
const H = 6;
const W = 5;
const C = 4;

async function errorOf(op: OperatorFunction<FeatureMap, FeatureMap>, maps: FeatureMap[]): Promise<Error | undefined> {
  return lastValueFrom(from(maps).pipe(op, toArray())).then(() => undefined, (error: Error) => error);
}

/** A clean map, then the same map with one bad value at (y=4, x=3) channel 2, hinted as the only change. */
function deltaPair(bad: number): [FeatureMap, FeatureMap] {
  const first = featureMap(randomArray(random, H * W * C), H, W, C, 0);
  const data = first.data.slice();
  const pixel = 4 * W + 3;
  data[pixel * C + 2] = bad;
  return [first, featureMap(data, H, W, C, 1, { changes: { since: first.data, pixels: Int32Array.of(pixel) } })];
}

const operators: Array<[string, () => OperatorFunction<FeatureMap, FeatureMap>]> = [
  ...(['none', 'relu', 'relu6', 'leakyRelu', 'sigmoid', 'hardSwish'] as Activation[]).map((kind): [string, () => OperatorFunction<FeatureMap, FeatureMap>] => [kind, () => activation(kind, { name: 'layer' })]),
  ['maxPool', () => maxPool({ name: 'layer', kernel: 2, stride: 1 })],
  ['avgPool', () => avgPool({ name: 'layer', kernel: 3, padding: 1, stride: 1 })],
  ['softmax', () => softmax({ name: 'layer' })],
  ['flatten', () => flatten({ name: 'layer' })],
  ['globalAvgPool', () => globalAvgPool({ name: 'layer' })],
];

for (const [label, make] of operators) {
  t.test(`${label} refuses NaN, Infinity and -Infinity, first item and delta item`, async (t) => {
    for (const bad of [NaN, Infinity, -Infinity]) {
      const [clean, dirty] = deltaPair(bad);
      const onFirst = await errorOf(make(), [dirty]);
      t.type(onFirst, RrmInputError, `${bad} in the first item`);
      t.match(onFirst?.message, new RegExp(`^layer: input pixel \\(y=4, x=3\\) channel 2 is ${bad}; expected finite numbers`));
      const onDelta = await errorOf(make(), [clean, dirty]);
      t.type(onDelta, RrmInputError, `${bad} in a delta item`);
      t.match(onDelta?.message, /input pixel \(y=4, x=3\) channel 2/);
    }
    t.equal(await errorOf(make(), deltaPair(0.5)), undefined, 'finite values pass');
  });
}

t.test('maxPool no longer turns NaN into a finite output; the layer can go on after the error in a new subscription', async (t) => {
  const [, dirty] = deltaPair(NaN);
  const pool = maxPool({ name: 'p', kernel: 2 });
  t.match((await errorOf(pool, [dirty]))?.message, /p: input pixel \(y=4, x=3\) channel 2 is NaN/);
  const [clean] = deltaPair(0);
  const out = await lastValueFrom(from([clean]).pipe(pool, toArray()));
  t.ok(out[0]!.data.every(Number.isFinite));
});

t.test('residual and concat refuse non-finite inputs of either branch', async (t) => {
  const [clean, dirty] = deltaPair(Infinity);
  t.match((await errorOf(residual(relu({ name: 'r' })), [dirty]))?.message, /r: input pixel \(y=4, x=3\) channel 2 is Infinity/);
  const identity: OperatorFunction<FeatureMap, FeatureMap> = (source) => source;
  t.match((await errorOf(residual(identity), [dirty]))?.message, /residual#\d+: input pixel \(y=4, x=3\) channel 2 is Infinity/);
  t.match((await errorOf(concat(identity, identity), [dirty]))?.message, /concat#\d+: input pixel \(y=4, x=3\) channel 2 is Infinity/);
  t.equal(await errorOf(concat(identity, relu()), [clean]), undefined);
});

t.test('a bad item ends only its own subscription', async (t) => {
  const layer = relu({ name: 'shared' });
  const healthy = new Subject<FeatureMap>();
  const broken = new Subject<FeatureMap>();
  const outputs: FeatureMap[] = [];
  let error: unknown;
  healthy.pipe(layer).subscribe((m) => outputs.push(m));
  broken.pipe(layer).subscribe({ error: (e) => (error = e) });
  const [clean, dirty] = deltaPair(NaN);
  healthy.next(clean);
  broken.next(clean);
  broken.next(dirty);
  healthy.next(featureMap(clean.data.slice(), H, W, C, 1));
  t.type(error, RrmInputError);
  t.equal(outputs.length, 2);
  t.ok(outputs.every((m) => m.data.every(Number.isFinite)));
});

t.test('a map without stats is refused by name, not with a TypeError from inside', async (t) => {
  const { stats: _stats, ...withoutStats } = featureMap(new Float32Array(H * W * C), H, W, C);
  const error = await errorOf(relu({ name: 'r' }), [withoutStats as FeatureMap]);
  t.type(error, RrmInputError);
  t.match(error?.message, /r: expected stats, an array of the LayerStats of the layers before \(`\[\]` for none\), got undefined/);
});

t.test('toTensor re-derives its per-channel constants when the layout changes but the byte count does not', async (t) => {
  const frame = (width: number, height: number, channels: 1 | 3 | 4, index: number): Frame => ({
    data: Uint8Array.from({ length: width * height * channels }, (_, i) => (i * 37) % 256), width, height, channels, index, timestamp: index,
  });
  // The same 12 bytes as 2x2 RGB, then as 4x3 gray: every byte changes channel, none changes value.
  const rgb = frame(2, 2, 3, 0);
  const gray = { ...frame(4, 3, 1, 1), data: rgb.data.slice() };
  const options = { mean: [0.1, 0.4, 0.7], std: [0.2, 0.3, 0.5] };
  const streamed = await lastValueFrom(from([rgb, gray]).pipe(toTensor(options), toArray()));
  const fresh = await lastValueFrom(from([gray]).pipe(toTensor(options), toArray()));
  t.same(Array.from(streamed[1]!.data), Array.from(fresh[0]!.data), 'the gray frame gets channel 0 constants everywhere');
  t.not(streamed[1]!.data[1], streamed[0]!.data[1], 'the old channel-1 value did not survive');
  t.equal(streamed[1]!.changes, undefined, 'a layout change is no delta item');
  const wide = { ...frame(1, 4, 3, 2), data: rgb.data.slice() };
  const reshaped = await lastValueFrom(from([rgb, wide]).pipe(toTensor(options), toArray()));
  t.equal(reshaped[1]!.changes, undefined, 'a change of width and height alone also recomputes');
});
