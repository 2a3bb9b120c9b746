// Activations, pooling, reshapes, branches and toTensor against dense naive computations, over
// streams whose change hints (`changes`) let the operators recompute only part of each map.
import { from, map, tap, type Observable } from 'rxjs';
import t from 'tap';
import { activation, avgPool, concat, flatten, globalAvgPool, keyframes, maxPool, relu, residual, rrmConv, softmax, toTensor } from '../../src/index.js';
import { activate } from '../../src/kernels/activation.js';
import { resolveWindow } from '../../src/kernels/geometry.js';
import { avgPoolReference, maxPoolReference } from '../helpers/reference/pool.js';
import type { FeatureMap, Frame } from '../../src/types.js';
import { collect } from '../helpers/collect.js';
import { maxAbsDiff, relativeError } from '../helpers/maps.js';
import { prng, randomArray } from '../helpers/random.js';
import { referenceConv, type ConvSpec } from '../helpers/reference-stack.js';

const H = 9;
const W = 11;
const C = 3;
const random = prng(21);

/** Frames of a small video: a few pixels change per frame, so `toTensor` emits change hints. */
function video(count: number): Frame[] {
  let data = Uint8Array.from({ length: H * W * C }, () => Math.floor(random() * 256));
  return Array.from({ length: count }, (_, index) => {
    if (index > 0) {
      data = data.slice();
      for (let k = 0; k < 4; k++) {
        const p = Math.floor(random() * H * W);
        for (let c = 0; c < C; c++) data[p * C + c] = Math.floor(random() * 256);
      }
    }
    return { data, width: W, height: H, channels: C as 3, index, timestamp: index * 40 };
  });
}

const frames = video(25);
const asFloat = (f: Frame) => Float32Array.from(f.data, (b) => b / 255 - 0.5);
const centred = () => toTensor({ mean: 0.5 });

t.test('toTensor: (byte·scale − mean)/std per channel, with change hints listing exactly the changed pixels', async (t) => {
  const out = await collect(from(frames).pipe(toTensor({ scale: 2, mean: [1, 2, 3], std: [2, 4, 8] })));
  out.forEach((m, i) => {
    const expected = Float32Array.from(frames[i]!.data, (b, k) => (b * 2 - [1, 2, 3][k % 3]!) / [2, 4, 8][k % 3]!);
    t.equal(maxAbsDiff(m.data, expected), 0, `frame ${i} values`);
    if (i > 0) {
      const changed = [];
      for (let p = 0; p < H * W; p++) if ([0, 1, 2].some((c) => frames[i]!.data[p * 3 + c] !== frames[i - 1]!.data[p * 3 + c])) changed.push(p);
      t.same(Array.from(m.changes!.pixels).sort((a, b) => a - b), changed, `frame ${i} change hint`);
      t.equal(m.changes!.since, out[i - 1]!.data);
    }
  });
});

t.test('activations recompute only changed pixels and still equal the dense result', async (t) => {
  for (const kind of ['relu', 'relu6', 'leakyRelu', 'sigmoid', 'hardSwish'] as const) {
    const out = await collect(from(frames).pipe(centred(), map((m) => ({ ...m, data: m.data, })), activation(kind, { leakyReluAlpha: 0.2 })));
    out.forEach((m, i) => t.ok(maxAbsDiff(m.data, asFloat(frames[i]!).map((x) => activate(kind, x, 0.2))) < 1e-6, `${kind} frame ${i}`));
    t.ok(out.slice(1).every((m) => m.stats.at(-1)!.activeFraction < 0.1), `${kind}: only changed pixels recomputed`);
  }
});

t.test('max and average pooling (padding, ceil mode) over delta streams equal the reference', async (t) => {
  const cases = [
    { kernel: 2, stride: 2 },
    { kernel: 3, stride: 2, padding: 1, ceilMode: true },
    { kernel: [3, 2] as [number, number], stride: 1, dilation: 2 as number },
    { kernel: 3, stride: 2, padding: 1, countIncludePad: true },
  ];
  for (const options of cases) {
    const kernel = typeof options.kernel === 'number' ? ([options.kernel, options.kernel] as const) : options.kernel;
    const stride = [options.stride, options.stride] as const;
    const dilation = [options.dilation ?? 1, options.dilation ?? 1] as const;
    const window = resolveWindow(H, W, { kernel, stride, dilation, padding: options.padding ?? 0, ceilMode: options.ceilMode ?? false });
    const shape = { height: H, width: W, channels: C, kernel, stride, dilation };
    for (const kind of ['max', 'avg'] as const) {
      const op = kind === 'max' ? maxPool(options) : avgPool(options);
      const out = await collect(from(frames).pipe(centred(), op));
      out.forEach((m, i) => {
        const expected = kind === 'max' ? maxPoolReference(shape, window, asFloat(frames[i]!)) : avgPoolReference(shape, window, asFloat(frames[i]!), options.countIncludePad ?? false);
        t.equal(m.height * m.width, window.outHeight * window.outWidth);
        t.ok(maxAbsDiff(m.data, expected) < 1e-6, `${kind} ${JSON.stringify(options)} frame ${i}`);
      });
    }
  }
});

t.test('globalAvgPool, flatten and softmax', async (t) => {
  const [pooled] = await collect(from(frames.slice(0, 1)).pipe(centred(), globalAvgPool()));
  const x = asFloat(frames[0]!);
  for (let c = 0; c < C; c++) {
    let s = 0;
    for (let p = 0; p < H * W; p++) s += x[p * C + c]!;
    t.ok(Math.abs(pooled!.data[c]! - s / (H * W)) < 1e-6, `channel ${c} mean`);
  }
  const [flat] = await collect(from(frames.slice(0, 1)).pipe(centred(), flatten()));
  t.same([flat!.height, flat!.width, flat!.channels], [1, 1, H * W * C]);
  t.equal(maxAbsDiff(flat!.data, x), 0);
  const [probabilities] = await collect(from(frames.slice(0, 1)).pipe(centred(), softmax()));
  for (let p = 0; p < H * W; p++) {
    const logits = Array.from(x.subarray(p * C, p * C + C));
    const exps = logits.map(Math.exp);
    const sum = exps.reduce((a, b) => a + b);
    exps.forEach((e, c) => t.ok(Math.abs(probabilities!.data[p * C + c]! - e / sum) < 1e-6));
  }
});

t.test('residual: input + branch(input), with the rrm layers inside keeping their own state', async (t) => {
  const spec: ConvSpec = { weight: randomArray(random, 3 * 3 * 9), shape: [3, 3, 3, 3], padding: 'same', activation: 'relu' };
  const spec2: ConvSpec = { weight: randomArray(random, 3 * 3), shape: [3, 3, 1, 1] };
  const out = await collect(from(frames).pipe(centred(), residual(rrmConv(spec), rrmConv(spec2))));
  t.equal(out.length, frames.length);
  out.forEach((m, i) => {
    const input = { data: asFloat(frames[i]!), height: H, width: W, channels: C };
    const branch = referenceConv(spec2, referenceConv(spec, input));
    t.ok(relativeError(m.data, input.data.map((v, k) => v + branch.data[k]!)) < 1e-5, `frame ${i}`);
  });
  t.same(out[3]!.stats.map((s) => s.kind), ['toTensor', 'conv', 'conv', 'add']);
});

t.test('concat: branch outputs stacked along channels', async (t) => {
  const a: ConvSpec = { weight: randomArray(random, 2 * 3 * 9), shape: [2, 3, 3, 3], padding: 1 };
  const b: ConvSpec = { weight: randomArray(random, 4 * 3), shape: [4, 3, 1, 1] };
  const out = await collect(from(frames).pipe(centred(), concat(rrmConv(a), rrmConv(b), relu())));
  out.forEach((m, i) => {
    const input = { data: asFloat(frames[i]!), height: H, width: W, channels: C };
    const ra = referenceConv(a, input).data;
    const rb = referenceConv(b, input).data;
    const expected = new Float32Array(H * W * 9);
    for (let p = 0; p < H * W; p++) {
      expected.set(ra.subarray(p * 2, p * 2 + 2), p * 9);
      expected.set(rb.subarray(p * 4, p * 4 + 4), p * 9 + 2);
      expected.set(input.data.subarray(p * 3, p * 3 + 3).map((v) => Math.max(0, v)), p * 9 + 6);
    }
    t.equal(m.channels, 9);
    t.ok(relativeError(m.data, expected) < 1e-5, `frame ${i}`);
  });
});

t.test('keyframes: first item, every N, scene cuts (maxActive) and frame size changes', async (t) => {
  const small: Frame = { data: new Uint8Array(4 * 4 * 3), width: 4, height: 4, channels: 3, index: 99, timestamp: 0 };
  const cut = { ...frames[5]!, data: frames[5]!.data.map((b) => 255 - b) };
  const list = [...frames.slice(0, 5), cut, frames[6]!, small, small, frames[7]!];
  const out = await collect(from(list).pipe(keyframes({ maxActive: 0.5 }), map((f) => (f.keyframe ? 1 : 0))));
  t.same(out, [1, 0, 0, 0, 0, 1, 1, 1, 0, 1], 'first, cut in, cut out, size change, size back');
  const every = await collect(from(frames.slice(0, 7)).pipe(keyframes({ every: 3 }), map((f) => (f.keyframe ? 1 : 0))));
  t.same(every, [1, 0, 0, 1, 0, 0, 1]);
  const layered = await collect(from(list).pipe(keyframes({ maxActive: 0.5 }), toTensor(), rrmConv({ weight: randomArray(random, 2 * 3 * 9), shape: [2, 3, 3, 3] })));
  t.same(layered.map((m) => m.stats.at(-1)!.dense), [true, false, false, false, false, true, true, true, false, true], 'layers honour the marks');
});

t.test('operators that hold the change hint drop it when an item is skipped upstream (filter), staying exact', async (t) => {
  const spec: ConvSpec = { weight: randomArray(random, 2 * 3 * 9), shape: [2, 3, 3, 3], padding: 1 };
  const skipOdd = (source: Observable<FeatureMap>) => new (source.constructor as typeof import('rxjs').Observable<FeatureMap>)((s) => source.subscribe({ next: (m) => (m.index % 2 === 0 ? s.next(m) : undefined), complete: () => s.complete() }));
  const out = await collect(from(frames).pipe(centred(), skipOdd, rrmConv(spec), relu()));
  out.forEach((m) => {
    const expected = referenceConv({ ...spec, activation: 'relu' }, { data: asFloat(frames[m.index]!), height: H, width: W, channels: C });
    t.ok(relativeError(m.data, expected.data) < 1e-5, `frame ${m.index}`);
  });
});

t.test('toTensor change hints are exact for frames at unaligned offsets in larger buffers (the byte-wise path)', async (t) => {
  const unaligned = frames.map((f) => {
    const backing = new Uint8Array(f.data.length + 3);
    backing.set(f.data, 1);
    return { ...f, data: backing.subarray(1, 1 + f.data.length) };
  });
  const out = await collect(from(unaligned).pipe(toTensor()));
  out.forEach((m, i) => {
    if (i === 0) return;
    const changed = [];
    for (let p = 0; p < H * W; p++) if ([0, 1, 2].some((c) => frames[i]!.data[p * 3 + c] !== frames[i - 1]!.data[p * 3 + c])) changed.push(p);
    t.same(Array.from(m.changes!.pixels), changed, `frame ${i}`);
  });
});

t.test('toTensor: an identical frame gives the same map again with an empty change list, and layers after it stay exact', async (t) => {
  const repeated = [frames[0]!, { ...frames[0]!, index: 1 }, frames[1]!];
  const maps = await collect(from(repeated).pipe(toTensor()));
  t.equal(maps[1]!.data, maps[0]!.data, 'the unchanged map is shared, not copied');
  t.equal(maps[1]!.changes!.pixels.length, 0);
  const spec: ConvSpec = { weight: randomArray(random, 2 * 3 * 9), shape: [2, 3, 3, 3], padding: 1 };
  const out = await collect(from(repeated).pipe(centred(), rrmConv(spec)));
  out.forEach((m, i) => t.ok(relativeError(m.data, referenceConv(spec, { data: asFloat(repeated[i]!), height: H, width: W, channels: C }).data) < 1e-5, `frame ${i}`));
});

t.test('globalAvgPool over a stream: updated from the change hints, each mean equals the whole map\'s, through keyframes and a broken hint', async (t) => {
  const keyed = frames.map((f, i) => (i === 10 ? { ...f, keyframe: true } : f));
  // A conv first, so the pool reads a map whose hint names its touched pixels; one item loses its hint.
  const conv = rrmConv({ weight: randomArray(random, 4 * C * 9), shape: [4, C, 3, 3], padding: 1, activation: 'relu' });
  const seen: FeatureMap[] = [];
  const pooled = await collect(from(keyed).pipe(centred(), conv, map((m) => (m.index === 16 ? { ...m, changes: undefined } : m)), tap((m) => seen.push(m)), globalAvgPool()));
  t.equal(pooled.length, keyed.length);
  pooled.forEach((out, k) => {
    const input = seen[k]!;
    const pixels = input.height * input.width;
    for (let c = 0; c < 4; c++) {
      let sum = 0;
      for (let p = 0; p < pixels; p++) sum += input.data[p * 4 + c]!;
      if (Math.abs(out.data[c]! - sum / pixels) > 1e-6) t.fail(`frame ${k}, channel ${c}: ${out.data[c]} against ${sum / pixels}`);
    }
  });
  const dense = pooled.map((out) => out.stats.at(-1)!.dense);
  t.same(dense.flatMap((d, k) => (d ? [k] : [])), [0, 10, 16], 'whole sums on the first item, the keyframe and the item without a hint; hinted updates elsewhere');
});
