// Every numeric option of the window operators is checked by one rule, on every backend, before
// anything is allocated: a clear RrmInputError naming the option, never a hang, a NaN map or a trap.
import { from, lastValueFrom, toArray, type OperatorFunction } from 'rxjs';
import t from 'tap';
import { avgPool, maxPool, rrmConv, rrmFc, RrmInputError } from '../../src/index.js';
import type { ConvEngine, KernelBackend } from '../../src/kernels/backend.js';
import type { ConvGeometry } from '../../src/kernels/geometry.js';
import { validateConvGeometry, validatePoolGeometry, MAX_TENSOR_ELEMENTS_CEILING } from '../../src/kernels/validate-geometry.js';
import type { FeatureMap } from '../../src/types.js';
import { backendsUnderTest } from '../helpers/backends.js';
import { featureMap } from '../helpers/maps.js';
import { prng, randomArray } from '../helpers/random.js';

const random = prng(16);
const weight = randomArray(random, 4 * 3 * 9);
const input = (i = 0) => featureMap(randomArray(random, 8 * 8 * 3), 8, 8, 3, i);

async function outcome(op: OperatorFunction<FeatureMap, FeatureMap>, maps: FeatureMap[]): Promise<FeatureMap[] | Error> {
  return lastValueFrom(from(maps).pipe(op, toArray())).catch((error: Error) => error);
}

/** A backend that counts the engines it was asked for: a refused geometry must not get one. */
function countingBackend(inner: KernelBackend): { backend: KernelBackend; engines: () => number } {
  let engines = 0;
  return {
    engines: () => engines,
    backend: {
      name: `counting ${inner.name}`,
      denseCrossover: (g) => inner.denseCrossover(g),
      createConvEngine: (g, w, a): ConvEngine => {
        engines++;
        return inner.createConvEngine(g, w, a);
      },
    },
  };
}

const badPaddings: unknown[] = [-1, -2, NaN, 'bogus', 0.5, Infinity, [1, 1, 1], [1, -1, 1, 1], [0, 0, 0, 0.5], {}];

for (const { label: backendName, backend } of backendsUnderTest().available) {
  t.test(`${backendName}: bad padding, stride, dilation, groups and kernel sizes throw at construction, naming the option`, async (t) => {
    for (const padding of badPaddings) {
      t.throws(() => rrmConv({ name: 'c', weight, shape: [4, 3, 3, 3], padding: padding as 0, backend }), { name: 'RrmInputError' }, `padding ${String(padding)}`);
      t.throws(() => rrmConv({ name: 'c', weight, shape: [4, 3, 3, 3], padding: padding as 0, backend }), /c: padding must be an integer ≥ 0, \[top, left, bottom, right\] of them/);
    }
    for (const [option, values] of [['stride', [0, -1, 0.5, NaN, '2', [1, 0], [1]]], ['dilation', [0, -3, 1.5, Infinity, [2, 2, 2]]]] as const) {
      for (const value of values) {
        t.throws(() => rrmConv({ name: 'c', weight, shape: [4, 3, 3, 3], [option]: value as never, backend }), new RegExp(`c: ${option} must be a positive integer or a pair of them, got`));
      }
    }
    for (const groups of [0, -1, 1.5, NaN]) {
      t.throws(() => rrmConv({ name: 'c', weight, shape: [4, 3, 3, 3], groups, backend }), /c: groups must be a positive integer/);
    }
    t.throws(() => rrmConv({ name: 'c', weight: new Float32Array(0), shape: [4, 3, 0, 3], backend }), /c: kernelH must be a positive integer, got 0/);
    for (const kernel of [0, -1, 2.5, [2, 0]]) {
      t.throws(() => maxPool({ name: 'p', kernel: kernel as 2 }), /p: kernel must be a positive integer or a pair of them/);
    }
    t.throws(() => avgPool({ name: 'p', kernel: 2, padding: -1 }), /p: padding must be an integer ≥ 0/);
    t.throws(() => rrmConv({ name: 'c', weight, shape: [4, 3, 3, 3], maxTensorElements: 0, backend }), /c: maxTensorElements must be an integer from 1 to/);
    t.throws(() => rrmConv({ name: 'c', weight, shape: [4, 3, 3, 3], maxTensorElements: MAX_TENSOR_ELEMENTS_CEILING * 2, backend }), /maxTensorElements/);
  });

  t.test(`${backendName}: a padding that would allocate beyond maxTensorElements errors before any engine exists`, async (t) => {
    const counting = countingBackend(backend);
    const huge = await outcome(rrmConv({ name: 'c', weight, shape: [4, 3, 3, 3], padding: 5000, backend: counting.backend }), [input()]);
    t.type(huge, RrmInputError);
    t.match((huge as Error).message, /c: input 8x8x3 with padding 5000: the padded input would hold 10008x10008x3 = 300480192 values, more than maxTensorElements = 67108864/);
    t.equal(counting.engines(), 0, 'no engine was created');
    const limited = await outcome(rrmConv({ name: 'c', weight, shape: [4, 3, 3, 3], padding: 1, maxTensorElements: 100, backend: counting.backend }), [input()]);
    t.match((limited as Error).message, /the input would hold 8x8x3 = 192 values, more than maxTensorElements = 100/);
    t.equal(counting.engines(), 0);
    const pooled = await outcome(maxPool({ name: 'p', kernel: 2, stride: 1, padding: 1, maxTensorElements: 100 }), [input()]);
    t.match((pooled as Error).message, /p: input 8x8x3 with padding 1: the output would hold 9x9x3 = 243 values, more than maxTensorElements = 100/);
    const fc = await outcome(rrmFc({ name: 'f', weight: new Float32Array(5 * 192), outFeatures: 5, maxTensorElements: 500, backend: counting.backend }), [input()]);
    t.match((fc as Error).message, /f: input 8x8x3: the weights would hold 5x192x8x8 = 61440 values|f: input 8x8x3: the weights would hold/);
  });

  t.test(`${backendName}: valid extremes still compute (large padding within the limit, stride larger than the input)`, async (t) => {
    const padded = await outcome(rrmConv({ name: 'c', weight, shape: [4, 3, 3, 3], padding: [4, 0, 2, 7], backend }), [input(0), input(1)]);
    t.ok(!(padded instanceof Error), String(padded));
    t.same([(padded as FeatureMap[])[1]!.height, (padded as FeatureMap[])[1]!.width], [12, 13]);
    const strided = await outcome(rrmConv({ name: 'c', weight, shape: [4, 3, 3, 3], stride: 100, dilation: [3, 2], backend }), [input(0), input(1)]);
    t.same([(strided as FeatureMap[])[0]!.height, (strided as FeatureMap[])[0]!.width], [1, 1]);
  });
}

t.test('pooling windows must see the map: pads smaller than the window, so no -Infinity or NaN comes out', async (t) => {
  const maps = [input()];
  for (const [kernel, padding] of [[2, 2], [3, [0, 3, 0, 0]], [1, 1]] as const) {
    const error = await outcome(maxPool({ name: 'p', kernel, padding: padding as 0 }), maps);
    t.type(error, RrmInputError);
    t.match((error as Error).message, /p: input 8x8x3 with padding .*: output (row|column) 0's window covers only padding .*expected every window to cover an input pixel/);
  }
  // Dilated taps can straddle a narrow input even with pads smaller than the window.
  const straddled = await outcome(maxPool({ name: 'p', kernel: 3, stride: 1, dilation: 2, padding: 3, ceilMode: true }), [featureMap(new Float32Array(9 * 1 * 3), 9, 1, 3)]);
  t.match((straddled as Error).message, /output column 0's window covers only padding \(kernel 3,3, stride 1,1, dilation 2,2, padding \[3, 3, 3, 3\] over 1 input columns\)/);
  // The largest allowed pads, with ceil mode and counting pads: every value finite.
  const out = await outcome(avgPool({ name: 'p', kernel: 3, stride: 2, padding: 2, ceilMode: true }), maps);
  t.ok((out as FeatureMap[])[0]!.data.every(Number.isFinite));
  const dilated = await outcome(maxPool({ name: 'p', kernel: 2, dilation: 3, padding: 3 }), maps);
  t.ok((dilated as FeatureMap[])[0]!.data.every(Number.isFinite));
});

t.test('validateConvGeometry: the kernels\' preconditions, named field by field', async (t) => {
  const good: ConvGeometry = {
    inHeight: 6, inWidth: 5, inChannels: 4, outHeight: 3, outWidth: 3, outChannels: 2,
    kernelHeight: 3, kernelWidth: 3, strideH: 2, strideW: 2, dilationH: 1, dilationW: 1,
    padTop: 1, padLeft: 1, padBottom: 1, padRight: 1, groups: 2,
  };
  t.doesNotThrow(() => validateConvGeometry(good));
  const cases: Array<[Partial<ConvGeometry>, RegExp]> = [
    [{ padTop: -1 }, /padTop must be an integer from 0 to 2147483647, got -1/],
    [{ strideW: 0 }, /strideW must be an integer from 1 to 2147483647, got 0/],
    [{ dilationH: 0.5 }, /dilationH must be an integer from 1 to 2147483647, got 0.5/],
    [{ kernelWidth: NaN }, /kernelWidth must be an integer from 1 to 2147483647, got NaN/],
    [{ strideH: 2 ** 31 }, /strideH must be an integer from 1 to 2147483647, got 2147483648/],
    [{ groups: 3 }, /groups 3 must divide both inChannels 4 and outChannels 2/],
    [{ outHeight: 4 }, /output 4x3 does not match the window arithmetic, which gives 3x3/],
    [{ kernelHeight: 9 }, /input height 6 with padding 1\+1 is smaller than the 9-pixel kernel/],
    [{ inChannels: 4e8, groups: 1, outChannels: 2 }, /the input would hold 6x5x400000000 = .* values, more than maxTensorElements/],
  ];
  for (const [change, message] of cases) t.throws(() => validateConvGeometry({ ...good, ...change }), message, message.source);
  t.throws(() => validateConvGeometry(good, { maxTensorElements: 150 }), /the padded input would hold 7x7x4 = 196 values, more than maxTensorElements = 150/);
  t.throws(
    () => validatePoolGeometry({ height: 4, width: 4, channels: 1, kernel: [2, 2], stride: [1, 1], dilation: [1, 1], window: { outHeight: 5, outWidth: 5, padTop: 2, padLeft: 0, padBottom: 0, padRight: 0 } }),
    /output row 0's window covers only padding/,
  );
});
