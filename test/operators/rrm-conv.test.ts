// The RRM layer contract (README, "The layer contract") checked against dense naive references.
import { from, groupBy, mergeMap, Subject, take, toArray, lastValueFrom, type OperatorFunction } from 'rxjs';
import t from 'tap';
import { rrmConv, rrmFc, type RrmConvOptions } from '../../src/index.js';
import type { KernelBackend } from '../../src/kernels/backend.js';
import { jsBackend } from '../../src/kernels/js/js-backend.js';
import { convReference, scatterMacsReference } from '../helpers/reference/conv.js';
import type { FeatureMap } from '../../src/types.js';
import { collect } from '../helpers/collect.js';
import { featureMap, maxAbsDiff, perturbPixels, relativeError } from '../helpers/maps.js';
import { prng, randomArray, randomIntegers } from '../helpers/random.js';
import { convGeometry, referenceConv, referenceFc, type ConvSpec, type Tensor } from '../helpers/reference-stack.js';

const H = 12;
const W = 10;

function stackSpecs(random: () => number, integers: boolean) {
  const weights = (n: number) => (integers ? randomIntegers(random, n, 2) : randomArray(random, n, 0.5));
  const conv1: ConvSpec = { weight: weights(8 * 3 * 9), shape: [8, 3, 3, 3], bias: weights(8), padding: 'same', activation: 'relu' };
  const conv2: ConvSpec = { weight: weights(8 * 1 * 9), shape: [8, 1, 3, 3], groups: 8, stride: 2, padding: 1, activation: 'relu6' };
  const conv3: ConvSpec = { weight: weights(6 * 8), shape: [6, 8, 1, 1], activation: 'none' };
  const fcOut = 5;
  const fcWeight = weights(fcOut * 6 * 5 * 6);
  const fcBias = weights(fcOut);
  return { conv1, conv2, conv3, fcOut, fcWeight, fcBias };
}

type Specs = ReturnType<typeof stackSpecs>;

function rrmStack(s: Specs, threshold = 0): OperatorFunction<FeatureMap, FeatureMap>[] {
  const asOptions = (spec: ConvSpec): RrmConvOptions => ({ ...spec, threshold });
  return [rrmConv(asOptions(s.conv1)), rrmConv(asOptions(s.conv2)), rrmConv(asOptions(s.conv3)), rrmFc({ weight: s.fcWeight, outFeatures: s.fcOut, bias: s.fcBias, activation: 'sigmoid', threshold })];
}

function denseStack(s: Specs, input: Tensor): Tensor {
  return referenceFc(s.fcWeight, s.fcOut, s.fcBias, 'sigmoid', referenceConv(s.conv3, referenceConv(s.conv2, referenceConv(s.conv1, input))));
}

/** A video-like stream: a random picture, each frame changing a random few pixels (sometimes none, sometimes many). */
function videoFrames(random: () => number, count: number, integers: boolean): Float32Array[] {
  const frames: Float32Array[] = [integers ? randomIntegers(random, H * W * 3, 3) : randomArray(random, H * W * 3)];
  for (let i = 1; i < count; i++) {
    const fraction = [0, 0.01, 0.05, 0.3, 1][Math.floor(random() * 5)]!;
    const next = perturbPixels(frames[i - 1]!, 3, fraction, random);
    frames.push(integers ? next.map(Math.round) : next);
  }
  return frames;
}

const pipe = (ops: OperatorFunction<FeatureMap, FeatureMap>[]) => (source: import('rxjs').Observable<FeatureMap>) =>
  ops.reduce((s, op) => s.pipe(op), source);

t.test('τ = 0: every map of a conv/depthwise/pointwise/fc stack equals the dense computation, 1,000 frames', async (t) => {
  const random = prng(1);
  const specs = stackSpecs(random, false);
  const frames = videoFrames(random, 1000, false);
  const outputs = await collect(pipe(rrmStack(specs))(from(frames.map((f, i) => featureMap(f, H, W, 3, i)))));
  t.equal(outputs.length, 1000);
  let worst = 0;
  outputs.forEach((out, i) => (worst = Math.max(worst, relativeError(out.data, denseStack(specs, { data: frames[i]!, height: H, width: W, channels: 3 }).data))));
  t.ok(worst <= 1e-5, `largest relative error ${worst.toExponential(2)} <= 1e-5`);
  const deltaFrames = outputs.filter((o) => !o.stats[0]!.dense).length;
  t.ok(deltaFrames > 500, `${deltaFrames} of 1000 frames took the sparse path in the first layer`);
});

t.test('τ = 0 with integer inputs and weights: bit-identical to the dense computation', async (t) => {
  const random = prng(2);
  const specs = stackSpecs(random, true);
  specs.conv2.activation = 'relu';
  const frames = videoFrames(random, 200, true);
  const layers = [rrmConv(specs.conv1), rrmConv(specs.conv2), rrmConv(specs.conv3)];
  const outputs = await collect(pipe(layers)(from(frames.map((f, i) => featureMap(f, H, W, 3, i)))));
  let identical = 0;
  outputs.forEach((out, i) => {
    const dense = referenceConv(specs.conv3, referenceConv(specs.conv2, referenceConv(specs.conv1, { data: frames[i]!, height: H, width: W, channels: 3 })));
    if (maxAbsDiff(out.data, dense.data) === 0) identical++;
  });
  t.equal(identical, 200, 'all 200 frames bit-identical');
});

t.test('τ > 0: projection error stays within τ·Σ|W| under a slow ramp where previous-frame deltas drift', async (t) => {
  const random = prng(3);
  const tau = 0.05;
  const spec: ConvSpec = { weight: randomArray(random, 3 * 2 * 9), shape: [3, 2, 3, 3], padding: 'same' };
  const bound = Array.from({ length: 3 }, (_, oc) => spec.weight.subarray(oc * 18, oc * 18 + 18).reduce((s, w) => s + Math.abs(w), 0));
  const h = 6;
  const w = 5;
  const base = randomArray(random, h * w * 2);
  const frameAt = (i: number) => base.map((v) => v + 0.4 * tau * i);
  const g = convGeometry(spec, { data: base, height: h, width: w, channels: 2 });
  const outputs: FeatureMap[] = [];
  const source = new Subject<FeatureMap>();
  source.pipe(rrmConv({ ...spec, threshold: tau })).subscribe((m) => outputs.push(m));
  // The rejected design, simulated beside it: compare against the previous frame, drop small deltas.
  let previousFrame = frameAt(0);
  const naiveProjection = convReference(g, spec.weight, undefined, previousFrame);
  let worstRatio = 0;
  let naiveWorst = 0;
  for (let i = 0; i < 10000; i++) {
    const frame = frameAt(i);
    source.next(featureMap(frame, h, w, 2, i));
    const exact = convReference(g, spec.weight, undefined, frame);
    const out = outputs[outputs.length - 1]!.data;
    for (let p = 0; p < exact.length; p++) worstRatio = Math.max(worstRatio, Math.abs(out[p]! - exact[p]!) / bound[p % 3]!);
    if (i > 0) {
      const delta = frame.map((v, k) => (Math.abs(v - previousFrame[k]!) > tau ? v - previousFrame[k]! : 0));
      const update = convReference(g, spec.weight, undefined, delta);
      for (let p = 0; p < exact.length; p++) naiveProjection[p]! += update[p]!;
      previousFrame = frame;
      for (let p = 0; p < exact.length; p++) naiveWorst = Math.max(naiveWorst, Math.abs(naiveProjection[p]! - exact[p]!) / bound[p % 3]!);
    }
  }
  t.ok(worstRatio <= tau * (1 + 1e-3), `rrm error / Σ|W| peaked at ${worstRatio.toFixed(5)} <= τ = ${tau}`);
  t.ok(naiveWorst > 100 * tau, `previous-frame deltas drift to ${naiveWorst.toFixed(1)} x Σ|W| (unbounded)`);
  const integrated = outputs.filter((o) => o.stats[0]!.activeFraction > 0).length;
  t.ok(integrated > 3000 && integrated < 7000, `the ramp is integrated every 2-3 frames (${integrated} of 10000)`);
});

t.test('a keyframe gives exactly the result of a freshly subscribed pipeline', async (t) => {
  const random = prng(4);
  const specs = stackSpecs(random, false);
  const frames = videoFrames(random, 30, false);
  const maps = frames.map((f, i) => featureMap(f, H, W, 3, i, { keyframe: i === 20 }));
  const layers = () => pipe(rrmStack(specs, 0.05));
  const running = await collect(layers()(from(maps)));
  const fresh = await collect(layers()(from([{ ...maps[20]!, keyframe: false }])));
  t.same(Array.from(running[20]!.data), Array.from(fresh[0]!.data), 'bit-identical');
  t.ok(running[20]!.stats.every((s) => s.dense), 'every layer went dense on the keyframe');
  t.ok(running[21]!.stats.some((s) => !s.dense), 'and back to deltas after it');
});

t.test('two subscriptions never share state; groupBy(streamId) runs independent streams through one definition', async (t) => {
  const random = prng(5);
  const specs = stackSpecs(random, false);
  const streamA = videoFrames(random, 40, false);
  const streamB = videoFrames(random, 40, false);
  const model = pipe(rrmStack(specs, 0.02));
  const interleaved: FeatureMap[] = [];
  for (let i = 0; i < 40; i++) {
    interleaved.push(featureMap(streamA[i]!, H, W, 3, i, { streamId: 'a' }));
    interleaved.push(featureMap(streamB[i]!, H, W, 3, i, { streamId: 'b' }));
  }
  const grouped = await collect(from(interleaved).pipe(groupBy((m) => m.streamId), mergeMap((group) => model(group))));
  const alone = async (frames: Float32Array[], id: string) => collect(model(from(frames.map((f, i) => featureMap(f, H, W, 3, i, { streamId: id })))));
  const [soloA, soloB] = await Promise.all([alone(streamA, 'a'), alone(streamB, 'b')]);
  const byStream = (id: string) => grouped.filter((m) => m.streamId === id).map((m) => Array.from(m.data));
  t.same(byStream('a'), soloA.map((m) => Array.from(m.data)), 'stream a as if alone');
  t.same(byStream('b'), soloB.map((m) => Array.from(m.data)), 'stream b as if alone');
});

t.test('stats: multiply-adds done equal active pixels x taps reached x in x out/groups, beside the dense count', async (t) => {
  const random = prng(6);
  const frames = videoFrames(random, 50, false);
  // Independent count on a layer whose input we know pixel by pixel; on the JS backend, which
  // scatters every layer (others may recompute an RGB stem's touched pixels: engine.test.ts).
  const layer = { weight: randomArray(random, 6 * 3 * 9), shape: [6, 3, 3, 3] as [number, number, number, number], stride: 2, padding: 1, backend: jsBackend };
  const results = await collect(from(frames.map((f, i) => featureMap(f, H, W, 3, i))).pipe(rrmConv({ ...layer, denseFraction: 1, traceActivity: true })));
  t.equal(results[0]!.stats[0]!.activity?.pixels, 'all', 'the keyframe traces every pixel');
  const g = convGeometry(layer, { data: frames[0]!, height: H, width: W, channels: 3 });
  for (let i = 1; i < frames.length; i++) {
    const active: number[] = [];
    for (let p = 0; p < H * W; p++) {
      if ([0, 1, 2].some((c) => frames[i]![p * 3 + c] !== frames[i - 1]![p * 3 + c])) active.push(p);
    }
    const stat = results[i]!.stats[0]!;
    t.equal(stat.macs, scatterMacsReference(g, active), `frame ${i}: ${active.length} active pixels`);
    t.equal(stat.denseMacs, g.outHeight * g.outWidth * 6 * 3 * 9);
    t.equal(stat.activeFraction, active.length / (H * W));
    const traced = stat.activity!.pixels as Int32Array;
    t.same(Array.from(traced).sort((a, b) => a - b), active, `frame ${i}: traced active pixels`);
  }
});

t.test('dense fallback above the crossover is still exact, and is reported', async (t) => {
  const random = prng(7);
  const specs = stackSpecs(random, false);
  const frames = videoFrames(random, 60, false);
  const layer = rrmConv({ ...specs.conv1, denseFraction: 0.2 });
  const outputs = await collect(from(frames.map((f, i) => featureMap(f, H, W, 3, i))).pipe(layer));
  let fallbacks = 0;
  outputs.forEach((out, i) => {
    const expected = referenceConv(specs.conv1, { data: frames[i]!, height: H, width: W, channels: 3 });
    t.ok(relativeError(out.data, expected.data) <= 1e-5, `frame ${i}`);
    if (i > 0 && out.stats[0]!.dense) {
      fallbacks++;
      t.ok(out.stats[0]!.activeFraction > 0.2);
      t.equal(out.stats[0]!.macs, out.stats[0]!.denseMacs);
    }
  });
  t.ok(fallbacks > 5, `${fallbacks} frames fell back to dense`);
  const crossover = jsBackend.denseCrossover({ ...convGeometry(specs.conv1, { data: frames[0]!, height: H, width: W, channels: 3 }) });
  t.ok(crossover > 0 && crossover < 1, 'the JS backend states a measured crossover');
});

t.test('unsubscribing releases the layer state (engine disposed), also on take(n) and on error', async (t) => {
  let created = 0;
  let disposed = 0;
  const counting: KernelBackend = {
    ...jsBackend,
    createConvEngine: (g, w, a) => {
      created++;
      const engine = jsBackend.createConvEngine(g, w, a);
      return { get projection() { return engine.projection; }, get output() { return engine.output; }, keyframe: (i) => engine.keyframe(i), update: (...a) => engine.update(...a), dispose: () => { disposed++; engine.dispose(); } };
    },
  };
  const random = prng(8);
  const spec = { weight: randomArray(random, 2 * 3 * 9), shape: [2, 3, 3, 3] as [number, number, number, number], backend: counting };
  const frames = videoFrames(random, 10, false).map((f, i) => featureMap(f, H, W, 3, i));
  await lastValueFrom(from(frames).pipe(rrmConv(spec), take(3), toArray()));
  t.equal([created, disposed].join(), '1,1', 'take(3)');
  const bad = [...frames.slice(0, 2), featureMap(new Float32Array(5), H, W, 3, 2)];
  await t.rejects(lastValueFrom(from(bad).pipe(rrmConv(spec))));
  t.equal([created, disposed].join(), '2,2', 'error');
  const source = new Subject<FeatureMap>();
  const subscription = source.pipe(rrmConv(spec)).subscribe();
  source.next(frames[0]!);
  subscription.unsubscribe();
  t.equal([created, disposed].join(), '3,3', 'unsubscribe mid-stream');
});

t.test('property: rrmConv over random layer shapes and random sparse change patterns equals the dense reference', async (t) => {
  const fc = (await import('fast-check')).default;
  const { convCase } = await import('../helpers/geometry.js');
  await fc.assert(
    fc.asyncProperty(convCase(64), fc.integer(), fc.constantFrom<'none' | 'relu' | 'hardSwish'>('none', 'relu', 'hardSwish'), async ({ geometry: g, padding }, seed, activation) => {
      const random = prng(seed);
      const spec: ConvSpec = {
        weight: randomArray(random, g.outChannels * (g.inChannels / g.groups) * g.kernelHeight * g.kernelWidth),
        shape: [g.outChannels, g.inChannels / g.groups, g.kernelHeight, g.kernelWidth],
        bias: randomArray(random, g.outChannels),
        stride: g.strideH, padding, dilation: g.dilationH, groups: g.groups, activation,
      };
      // convCase draws independent H/W strides and dilations; the operator takes pairs, the reference helper one value.
      const options: RrmConvOptions = { ...spec, stride: [g.strideH, g.strideW], dilation: [g.dilationH, g.dilationW] };
      const frames = [randomArray(random, g.inHeight * g.inWidth * g.inChannels)];
      for (let i = 1; i < 6; i++) frames.push(perturbPixels(frames[i - 1]!, g.inChannels, random() * random(), random));
      const outputs = await collect(from(frames.map((f, i) => featureMap(f, g.inHeight, g.inWidth, g.inChannels, i))).pipe(rrmConv(options)));
      return outputs.every((out, i) => {
        const expected = convReference(g, spec.weight, spec.bias, frames[i]!).map((x) => (activation === 'relu' ? Math.max(0, x) : activation === 'hardSwish' ? (x <= -3 ? 0 : x >= 3 ? x : (x * (x + 3)) / 6) : x));
        return out.height === g.outHeight && out.width === g.outWidth && relativeError(out.data, expected) <= 1e-5;
      });
    }),
    { numRuns: 150 },
  );
  t.pass('150 random layers, 6 frames each');
});
