// Marble tests: an rrm pipeline and its dense counterpart produce equal streams (values within a
// float tolerance, same timing, same completion and errors), under RxJS's virtual-time TestScheduler.
import { map, Subject, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import t from 'tap';
const tap = t;
import { keyframes, rrmConv, rrmFc, maxPool } from '../../src/index.js';
import { maxPoolReference } from '../helpers/reference/pool.js';
import { resolveWindow } from '../../src/kernels/geometry.js';
import type { FeatureMap } from '../../src/types.js';
import { featureMap, perturbPixels, relativeError } from '../helpers/maps.js';
import { prng, randomArray } from '../helpers/random.js';
import { referenceConv, referenceFc, type ConvSpec, type Tensor } from '../helpers/reference-stack.js';

const H = 8;
const W = 8;
const random = prng(11);
const conv: ConvSpec = { weight: randomArray(random, 4 * 2 * 9), shape: [4, 2, 3, 3], bias: randomArray(random, 4), padding: 'same', activation: 'relu' };
const fcWeight = randomArray(random, 3 * 4 * 4 * 4);
const poolShape = { height: H, width: W, channels: 4, kernel: [2, 2] as const, stride: [2, 2] as const, dilation: [1, 1] as const };
const poolWindow = resolveWindow(H, W, { kernel: [2, 2], stride: [2, 2], dilation: [1, 1], padding: 0 });

const rrmPipeline = (source: Observable<FeatureMap>) => source.pipe(rrmConv(conv), maxPool({ kernel: 2 }), rrmFc({ weight: fcWeight, outFeatures: 3 }));
const densePipeline = (source: Observable<FeatureMap>) =>
  source.pipe(
    map((m): FeatureMap => {
      const c = referenceConv(conv, m);
      const pooled: Tensor = { data: maxPoolReference(poolShape, poolWindow, c.data), height: 4, width: 4, channels: 4 };
      return { ...m, ...referenceFc(fcWeight, 3, undefined, 'none', pooled), stats: [] };
    }),
  );

/** Deep equality for marble frames, with feature-map data compared within a float tolerance. */
function assertFramesEqual(t: Pick<typeof tap, 'equal' | 'ok'>, actual: unknown[], expected: unknown[]): void {
  t.equal(actual.length, expected.length, 'same number of notifications');
  actual.forEach((a: any, i) => {
    const e: any = expected[i];
    t.equal(a.frame, e.frame, `notification ${i} at the same virtual time`);
    t.equal(a.notification.kind, e.notification.kind, `notification ${i} of the same kind`);
    if (a.notification.kind === 'N') {
      t.ok(relativeError(a.notification.value.data, e.notification.value.data) <= 1e-5, `value ${i} within 1e-5`);
      t.equal(a.notification.value.index, e.notification.value.index);
    }
    if (a.notification.kind === 'E') t.equal(String(a.notification.error?.message ?? a.notification.error), String(e.notification.error?.message ?? e.notification.error));
  });
}

function frames(count: number): Record<string, FeatureMap> {
  const values: Record<string, FeatureMap> = {};
  let data = randomArray(random, H * W * 2);
  'abcdefghij'.slice(0, count).split('').forEach((name, i) => {
    values[name] = featureMap(data, H, W, 2, i);
    data = perturbPixels(data, 2, 0.15, random);
  });
  return values;
}

t.test('rrm pipeline and dense pipeline emit equal streams, same timing and completion', async (t) => {
  const values = frames(8);
  const scheduler = new TestScheduler((a, e) => assertFramesEqual(t, a as unknown[], e as unknown[]));
  scheduler.run(({ cold, expectObservable }) => {
    const source = cold('-a-b--c-d-(ef)-g-h|', values);
    expectObservable(rrmPipeline(source)).toEqual(densePipeline(source));
  });
});

t.test('errors propagate at the same virtual time', async (t) => {
  const values = frames(4);
  const scheduler = new TestScheduler((a, e) => assertFramesEqual(t, a as unknown[], e as unknown[]));
  scheduler.run(({ cold, expectObservable }) => {
    const source = cold('-a-b-c-#', values, new Error('camera unplugged'));
    expectObservable(rrmPipeline(source)).toEqual(densePipeline(source));
  });
});

t.test('keyframe marks land where the notifier marbles say, and on the first frame', async (t) => {
  const values = frames(8);
  const scheduler = new TestScheduler((a, e) => t.same(a, e));
  scheduler.run(({ cold, hot, expectObservable }) => {
    const source = cold('a-b-c-d-e-f-g-h|', values);
    const notifier = hot('---x-----x------');
    const marked = source.pipe(keyframes({ on: notifier }), map((m) => (m.keyframe ? 'K' : 'd')));
    expectObservable(marked).toBe('K-d-K-d-d-K-d-d|');
    const everyThird = source.pipe(keyframes({ every: 3 }), map((m) => (m.keyframe ? 'K' : 'd')));
    expectObservable(everyThird).toBe('K-d-d-K-d-d-K-d|');
  });
});

t.test('unsubscribing mid-stream tears down the pipeline and its source', async (t) => {
  const scheduler = new TestScheduler((a, e) => t.same(a, e));
  const values = frames(6);
  scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
    const source = cold('-a-b-c-d-e-f|', values);
    const labels = rrmPipeline(source).pipe(map((m) => 'abcdef'[m.index]!));
    expectObservable(labels, '^----!').toBe('-a-b-', { a: 'a', b: 'b' });
    expectSubscriptions(source.subscriptions).toBe('^----!');
  });
});

t.test('a keyframe notifier on a Subject resets every layer downstream', async (t) => {
  const reset = new Subject<void>();
  const input = new Subject<FeatureMap>();
  const out: FeatureMap[] = [];
  input.pipe(keyframes({ on: reset }), rrmConv({ ...conv, denseFraction: 1 }), rrmFc({ weight: randomArray(random, 3 * 8 * 8 * 4), outFeatures: 3, denseFraction: 1 })).subscribe((m) => out.push(m));
  const values = Object.values(frames(4));
  input.next(values[0]!);
  input.next(values[1]!);
  reset.next();
  input.next(values[2]!);
  input.next(values[3]!);
  t.same(out.map((m) => m.stats.map((s) => s.dense)), [[true, true], [false, false], [true, true], [false, false]]);
});
