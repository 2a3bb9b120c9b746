// tuneThresholds: per-layer thresholds that keep a judge satisfied on the calibration frames,
// checked against independent runs of the model (not against what the tuner itself reported).
import { firstValueFrom, from, toArray } from 'rxjs';
import t from 'tap';
import { loadOnnx, macFraction, tuneThresholds, type Judge, type ModelOutput } from '../../src/model/index.js';
import type { FeatureMap } from '../../src/types.js';
import { featureMap, perturbPixels } from '../helpers/maps.js';
import { buildModel, weights } from '../helpers/onnx-builder.js';
import { prng, randomArray } from '../helpers/random.js';

const random = prng(12);
const [H, W] = [12, 10];
const model = await loadOnnx(buildModel({
  input: { name: 'x', dims: [1, 3, H, W] },
  outputs: ['y'],
  nodes: [
    { op: 'Conv', name: 'a', inputs: ['x', 'wa'], outputs: ['ha'], attributes: { pads: [1, 1, 1, 1], kernel_shape: [3, 3] } },
    { op: 'Relu', inputs: ['ha'], outputs: ['ra'] },
    { op: 'Conv', name: 'b', inputs: ['ra', 'wb'], outputs: ['y'], attributes: { kernel_shape: [1, 1] } },
  ],
  initializers: { wa: weights(random, [8, 3, 3, 3]), wb: weights(random, [4, 8, 1, 1]) },
}));
// A slowly drifting scene: small changes everywhere, a few large ones.
const maps: FeatureMap[] = [];
let data = randomArray(random, H * W * 3);
for (let i = 0; i < 12; i++) {
  data = perturbPixels(data, 3, 0.5, random, 0.02);
  data = perturbPixels(data, 3, 0.05, random, 1);
  maps.push(featureMap(data, H, W, 3, i));
}
const run = (options: Parameters<typeof model.operator>[0]): Promise<ModelOutput[]> => firstValueFrom(from(maps).pipe(model.operator(options), toArray()));
const largestDeviation = (outputs: readonly ModelOutput[], reference: readonly ModelOutput[]) =>
  Math.max(...outputs.map((o, k) => o.outputs.y!.data.reduce((m, v, i) => Math.max(m, Math.abs(v - reference[k]!.outputs.y!.data[i]!)), 0)));

t.test('the tuned thresholds keep the bound on the calibration frames, and no layer could have gone one rung higher', async (t) => {
  const bound = 0.05;
  const judge: Judge = (outputs, reference) => ({ acceptable: largestDeviation(outputs, reference) <= bound, text: '' });
  const ladder = [0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5];
  const result = await tuneThresholds(model, maps, { judge, ladder });
  const dense = await run({ keyframeEvery: 1 });
  const tuned = await run({ thresholds: result.thresholds });
  t.ok(largestDeviation(tuned, dense) <= bound, `deviation ${largestDeviation(tuned, dense)} within ${bound}`);
  t.ok(Object.values(result.thresholds).some((tau) => tau > 0), `some layer deferred: ${JSON.stringify(result.thresholds)}`);
  t.ok(macFraction(tuned.slice(1)) < macFraction((await run({ threshold: 0 })).slice(1)), 'fewer multiply-adds than exact');
  // Greedy front to back: with the earlier layers' thresholds, each layer's next rung fails.
  const chosen: Record<string, number> = {};
  for (const layer of model.layers) {
    const tau = result.thresholds[layer] ?? 0;
    const next = ladder.find((rung) => rung > tau);
    if (next !== undefined) {
      const higher = await run({ thresholds: { ...chosen, [layer]: next } });
      t.ok(largestDeviation(higher, dense) > bound, `${layer}: the next rung ${next} breaks the bound`);
    }
    if (tau > 0) chosen[layer] = tau;
  }
});

t.test('a bad ladder or too few frames are refused', async (t) => {
  const judge: Judge = () => ({ acceptable: true, text: '' });
  await t.rejects(tuneThresholds(model, maps, { judge, ladder: [0.1, 0.05] }), /increasing positive/);
  await t.rejects(tuneThresholds(model, maps.slice(0, 1), { judge }), /at least 2/);
});
