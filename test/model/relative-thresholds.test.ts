// Relative thresholds (`thresholdMode: 'relative'`): each layer's τ is the threshold times its input's
// magnitude over the model input's, both measured on the first frame. A chain of diagonal layers
// with biases (three 1x1 convs, then a Gemm over the flattened map) makes every layer's integrated
// input Ĩ readable from the graph outputs (a = k·Ĩ + b, so Ĩ = (a − b) / k) and its input statistic
// computable here, independently.
import { firstValueFrom, from, groupBy, mergeMap, toArray } from 'rxjs';
import t from 'tap';
import { loadOnnx, type ModelOperatorOptions, type ModelOutput } from '../../src/model/index.js';
import { inputScale } from '../../src/layers/input-scale.js';
import { RrmInputError } from '../../src/layers/validate.js';
import type { FeatureMap } from '../../src/types.js';
import { buildModel } from '../helpers/onnx-builder.js';
import { changingMaps } from '../helpers/onnx-compare.js';
import { prng } from '../helpers/random.js';

const random = prng(23);
const C = 3;
const H = 6;
const W = 7;
// Gains and biases per layer: magnitudes shrink along the chain, as activations do with depth.
const gains = [[2, -1, 0.5], [0.25, -0.5, 0.2], [0.3, 0.1, -0.4], [3, -2, 1.5]];
const biases = [[0.3, -0.2, 1], [0.05, 0.1, -0.02], [0, 0.01, 0.02], [0.1, 0, -0.1]];
const layers = ['conv1', 'conv2', 'conv3', 'fc'];
const outputs = ['a1', 'a2', 'a3', 'y'];
const F = C * H * W;
const channelOf = (j: number) => Math.floor(j / (H * W)); // ONNX flattens c, y, x
const diagonal = (k: number[]) => ({ dims: [C, C, 1, 1], data: Array.from({ length: C * C }, (_, i) => (i % (C + 1) === 0 ? k[i / (C + 1)]! : 0)) });
const modelBytes = buildModel({
  input: { name: 'x', dims: [1, C, H, W] },
  outputs,
  nodes: [
    ...layers.slice(0, 3).map((name, l) => ({ op: 'Conv', name, inputs: [l === 0 ? 'x' : `a${l}`, `w${l}`, `b${l}`], outputs: [`a${l + 1}`] })),
    { op: 'Flatten', inputs: ['a3'], outputs: ['flat'] },
    { op: 'Gemm', name: 'fc', inputs: ['flat', 'w3', 'b3'], outputs: ['y'], attributes: { transB: 1 } },
  ],
  initializers: {
    ...Object.fromEntries([0, 1, 2].flatMap((l) => [[`w${l}`, diagonal(gains[l]!)], [`b${l}`, { dims: [C], data: biases[l]! }]])),
    w3: { dims: [F, F], data: Array.from({ length: F * F }, (_, i) => (i % (F + 1) === 0 ? gains[3]![channelOf(i / (F + 1))]! : 0)) },
    b3: { dims: [F], data: Array.from({ length: F }, (_, j) => biases[3]![channelOf(j)]!) },
  },
});
const model = await loadOnnx(modelBytes);
const run = (maps: FeatureMap[], options: ModelOperatorOptions): Promise<ModelOutput[]> => firstValueFrom(from(maps).pipe(model.operator(options), toArray()));

/** Pixel p, channel c of an NCHW (or flattened NCHW) graph output. */
const at = (o: ModelOutput, name: string, p: number, c: number) => o.outputs[name]!.data[c * H * W + p]!;
const rows = (value: (p: number, c: number) => number) => Array.from({ length: H * W }, (_, p) => Array.from({ length: C }, (_, c) => value(p, c)));
/** The layer inputs of one frame as rows [pixel][channel]: x, a1, a2, a3. */
const layerInputs = (x: FeatureMap, o: ModelOutput): number[][][] => [rows((p, c) => x.data[p * C + c]!), ...outputs.slice(0, 3).map((name) => rows((p, c) => at(o, name, p, c)))];
/** Layer l's integrated input Ĩ = (a − b) / k, from its output. */
const integrated = (o: ModelOutput, l: number) => rows((p, c) => (at(o, outputs[l]!, p, c) - biases[l]![c]!) / gains[l]![c]!);

// The statistic, written out again: 99.9th percentile (nearest rank) over pixels of max_c |x|.
function scaleOf(rows: number[][]): number {
  const maxima = rows.map((r) => Math.max(...r.map(Math.abs))).sort((a, b) => a - b);
  return maxima[Math.min(maxima.length - 1, Math.floor(0.999 * maxima.length))]!;
}

t.test('the scale is the 99.9th percentile over pixels of max_c |x|: one outlying pixel does not set it', async (t) => {
  const [h, w, c] = [40, 40, 5]; // 1600 pixels: the percentile is the second largest pixel maximum
  const data = Float32Array.from({ length: h * w * c }, () => random() * 2 - 1);
  const pixelsOf = (d: Float32Array) => Array.from({ length: h * w }, (_, p) => Array.from(d.subarray(p * c, (p + 1) * c)));
  t.equal(inputScale({ data, channels: c }), Math.fround(scaleOf(pixelsOf(data))));
  const withOutlier = data.slice();
  withOutlier[7 * c + 3] = -50;
  const scale = inputScale({ data: withOutlier, channels: c });
  t.equal(scale, Math.fround(scaleOf(pixelsOf(withOutlier))));
  t.ok(scale < 1, `a pixel at -50 moves it by one rank only: ${scale}`);
});

const frames = changingMaps(random, H, W, C, 40, 0.3);
const TAU = 0.05;

t.test("each layer's τ is threshold × s(its first input) / s(the first model input)", async (t) => {
  const dense = await run(frames.slice(0, 1), {});
  const scales = layerInputs(frames[0]!, dense[0]!).map(scaleOf);
  const expected = scales.map((s) => (TAU * s) / scales[0]!);
  t.ok(expected.slice(1).every((tau, l) => Math.abs(tau / expected[l]! - 1) > 0.2), `scales differ enough from layer to layer to tell the modes apart: ${expected}`);
  // A step of (1 ± 1%)·τ_l at one pixel of layer l's input, upstream layers exact.
  for (const l of [1, 2, 3]) {
    for (const [factor, integrates] of [[0.99, false], [1.01, true]] as const) {
      const step = { ...frames[0]!, index: 1, data: frames[0]!.data.slice() };
      const p = 11;
      const c = 2;
      // Exact upstream layers multiply the step by their gains: divide them out at the input.
      const upstreamGain = gains.slice(0, l).reduce((g, k) => g * k[c]!, 1);
      step.data[p * C + c]! += (factor * expected[l]!) / upstreamGain;
      const exactUpstream = Object.fromEntries(layers.slice(0, l).map((n) => [n, 0]));
      const [, out] = await run([frames[0]!, step], { threshold: TAU, thresholdMode: 'relative', thresholds: exactUpstream });
      const stats = out!.stats.find((s) => s.layer === layers[l])!;
      t.equal(stats.macs > 0, integrates, `${layers[l]}: a step of ${factor}·τ_l ${integrates ? 'is' : 'is not'} integrated`);
    }
  }
});

t.test('per-layer thresholds override in relative units', async (t) => {
  const dense = await run(frames.slice(0, 1), {});
  const scales = layerInputs(frames[0]!, dense[0]!).map(scaleOf);
  const tau2 = (0.2 * scales[1]!) / scales[0]!; // conv2 at 0.2 relative, the others exact
  for (const [factor, integrates] of [[0.99, false], [1.01, true]] as const) {
    const step = { ...frames[0]!, index: 1, data: frames[0]!.data.slice() };
    step.data[5 * C]! += (factor * tau2) / gains[0]![0]!;
    const [, out] = await run([frames[0]!, step], { threshold: 0, thresholdMode: 'relative', thresholds: { conv2: 0.2 } });
    t.equal(out!.stats.find((s) => s.layer === 'conv2')!.macs > 0, integrates, `a step of ${factor}·τ_2 ${integrates ? 'is' : 'is not'} integrated`);
  }
});

t.test('the bounded-error rule holds per layer: |I − Ĩ| ≤ τ_l after every frame, and the bound is reached', async (t) => {
  const dense = await run(frames.slice(0, 1), {});
  const scales = layerInputs(frames[0]!, dense[0]!).map(scaleOf);
  const bound = scales.map((s) => (TAU * s) / scales[0]!);
  // conv1 exact, so conv2 sees a smoothly drifting input; conv3 and fc see their upstream's jumps.
  // No dense fallbacks (denseFraction 1): they would reset the deferred change, whatever the backend.
  const results = await run(frames, { threshold: TAU, thresholdMode: 'relative', thresholds: { conv1: 0 }, denseFraction: 1 });
  const largest = [0, 0, 0, 0];
  results.forEach((o, k) => {
    const inputs = layerInputs(frames[k]!, o);
    for (const l of [1, 2, 3]) {
      const tilde = integrated(o, l);
      const deferred = Math.max(...inputs[l]!.map((row, p) => Math.max(...row.map((v, c) => Math.abs(v - tilde[p]![c]!)))));
      largest[l] = Math.max(largest[l]!, deferred);
      if (deferred > bound[l]! * (1 + 1e-4) + 1e-6) t.fail(`frame ${k}, ${layers[l]}: deferred ${deferred} > τ_l ${bound[l]}`);
    }
  });
  for (const l of [1, 2, 3]) {
    t.ok(largest[l]! <= bound[l]! * (1 + 1e-4) + 1e-6, `${layers[l]}: largest deferred change ${largest[l]} ≤ τ_l ${bound[l]}`);
    t.ok(largest[l]! > 0.5 * bound[l]!, `${layers[l]}: the stream defers up to ${largest[l]}, close to τ_l (so a wrong τ_l would show)`);
  }
  // In absolute mode the same stream defers more than conv3's relative bound allows: the check above can fail.
  const absolute = await run(frames, { threshold: TAU, thresholds: { conv1: 0 }, denseFraction: 1 });
  const worst = Math.max(...absolute.map((o, k) => {
    const input = layerInputs(frames[k]!, o)[2]!;
    const tilde = integrated(o, 2);
    return Math.max(...input.map((row, p) => Math.max(...row.map((v, c) => Math.abs(v - tilde[p]![c]!)))));
  }));
  t.ok(worst > bound[2]!, `absolute τ defers ${worst} at conv3, beyond its relative τ ${bound[2]}`);
});

t.test('relative τ = 0 is exact', async (t) => {
  // Never falling back to dense: the delta path itself must be exact.
  const exact = await run(frames, { threshold: 0, thresholdMode: 'relative', denseFraction: 1 });
  const reference = await run(frames, { keyframeEvery: 1 });
  let worst = 0;
  exact.forEach((o, k) => {
    for (const name of outputs) {
      o.outputs[name]!.data.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - reference[k]!.outputs[name]!.data[i]!))));
    }
  });
  t.ok(worst < 1e-5, `largest deviation from the dense path ${worst}`);
  t.ok(exact.slice(1).some((o) => o.stats.some((s) => !s.dense)), 'delta frames take the sparse path');
});

t.test('a uniform first frame (blank, or one grey just off the mean) makes the subscription exact rather than guess a scale', async (t) => {
  for (const [label, pixel] of [['blank', [0, 0, 0]], ['grey', [0.01, 0.01, 0.01]], ['one colour', [0.3, -0.1, 0.02]]] as const) {
    const uniform = { ...frames[0]!, data: Float32Array.from({ length: H * W * C }, (_, i) => pixel[i % C]!) };
    const maps = [uniform, ...frames.slice(1, 8).map((m, k) => ({ ...m, index: k + 1 }))];
    const relative = await run(maps, { threshold: TAU, thresholdMode: 'relative' });
    const reference = await run(maps, { keyframeEvery: 1 });
    let worst = 0;
    relative.forEach((o, k) => o.outputs.y!.data.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - reference[k]!.outputs.y!.data[i]!)))));
    t.ok(worst < 1e-5, `${label}: largest deviation ${worst}`);
  }
});

t.test('every subscription (and groupBy group) measures its own scales', async (t) => {
  // Stream b is stream a at three times the magnitude: its scales differ, and so do its thresholds.
  const a = frames.slice(0, 12).map((m) => ({ ...m, streamId: 'a' }));
  const b = frames.slice(0, 12).map((m) => ({ ...m, streamId: 'b', data: m.data.map((v) => 3 * v) }));
  const options = { threshold: TAU, thresholdMode: 'relative' as const };
  const shared = model.operator(options);
  const interleaved = a.flatMap((m, k) => [m, b[k]!]);
  const grouped = await firstValueFrom(from(interleaved).pipe(groupBy((m) => m.streamId), mergeMap((g) => g.pipe(shared)), toArray()));
  for (const [id, solo] of [['a', await run(a, options)], ['b', await run(b, options)]] as const) {
    const mine = grouped.filter((o) => o.streamId === id);
    t.same(mine.map((o) => Array.from(o.outputs.y!.data)), solo.map((o) => Array.from(o.outputs.y!.data)), `stream ${id} as if alone`);
    t.same(mine.map((o) => o.stats.map((s) => s.macs)), solo.map((o) => o.stats.map((s) => s.macs)), `stream ${id} integrates what it would alone`);
  }
});

t.test('bad threshold modes are rejected with an RrmInputError naming the choices', async (t) => {
  const rejection = (options: ModelOperatorOptions): unknown => {
    try {
      model.operator(options);
    } catch (error) {
      return error;
    }
    return undefined;
  };
  for (const mode of ['relatve', 'Relative', 1, null]) {
    const error = rejection({ thresholdMode: mode as never });
    t.ok(error instanceof RrmInputError, `${JSON.stringify(mode)}: an RrmInputError`);
    t.match((error as Error).message, /thresholdMode must be one of absolute, relative/, `${JSON.stringify(mode)}: names the choices`);
  }
  t.ok(rejection({ thresholdMode: 'relative', threshold: -1 }) instanceof RrmInputError, 'a negative threshold');
  t.ok(rejection({ thresholdMode: 'relative', thresholds: { conv2: Number.NaN } }) instanceof RrmInputError, 'a NaN per-layer threshold');
});
