/**
 * `npm start`: the main job on an embedded default. A generated static-camera scene (textured
 * background, moving objects, sensor noise, one scene cut) runs through a MobileNet-style demo
 * network with seeded random weights — once with rx-rrm (exact, τ = 0, and with a small τ) and once
 * densely — and the summary says how much work rx-rrm skipped and how fast it went.
 *
 * On your own model and video: npx rx-rrm run --model your.onnx --input your.mp4 --compare-dense
 */
import { mkdir } from 'node:fs/promises';
import { from, lastValueFrom, toArray, type OperatorFunction } from 'rxjs';
import { demoNetwork, formatSummary, keyframes, sceneFrames, summarize, toTensor, defaultBackend, writeActivityPlot, type FeatureMap, type Frame, type RunSummary } from 'rx-rrm';

const cutAt = 80;
const frames: Frame[] = [...sceneFrames({ width: 224, height: 168, frames: 120, cutAt })];

async function runPipeline(layers: OperatorFunction<FeatureMap, FeatureMap>[], everyFrameDense: boolean): Promise<{ outputs: FeatureMap[]; summary: RunSummary }> {
  const started = performance.now();
  let stream = from(frames).pipe(keyframes<Frame>(everyFrameDense ? { every: 1 } : { maxActive: 0.3, pixelThreshold: 16 }), toTensor({ mean: 0.5, std: 0.25 }));
  for (const layer of layers) stream = stream.pipe(layer);
  const outputs = await lastValueFrom(stream.pipe(toArray()));
  return { outputs, summary: summarize(outputs, performance.now() - started) };
}

const maxDeviation = (a: FeatureMap[], b: FeatureMap[]) =>
  a.reduce((worst, map, i) => Math.max(worst, ...map.data.map((v, k) => Math.abs(v - b[i]!.data[k]!))), 0);

console.log(`rx-rrm demo: ${frames.length} generated frames of ${frames[0]!.width}x${frames[0]!.height}, scene cut at frame ${cutAt}`);
console.log(`network: MobileNet-style stack (stem, 4 depthwise-separable blocks, pool, classifier) with seeded random weights (not trained), ${defaultBackend().name} kernels\n`);
// The fastest kernels that load here: native, else WebAssembly SIMD, else plain JS (with a notice).
const backend = defaultBackend();
await runPipeline(demoNetwork({ backend }), false); // warm-up: let V8 compile the kernels before timing
const dense = await runPipeline(demoNetwork({ backend }), true);
const exact = await runPipeline(demoNetwork({ backend }), false);
const bounded = await runPipeline(demoNetwork({ backend, threshold: 0.05 }), false);

console.log('== rx-rrm, exact (τ = 0)');
console.log(formatSummary(exact.summary, { dense: dense.summary, maxDeviation: maxDeviation(exact.outputs, dense.outputs) }));
console.log('\n== rx-rrm, bounded error (τ = 0.05 on every layer)');
console.log(formatSummary(bounded.summary, { dense: dense.summary, maxDeviation: maxDeviation(bounded.outputs, dense.outputs) }));
await mkdir('out', { recursive: true });
await writeActivityPlot('out/activity.png', bounded.outputs.map((o) => ({ ...o, sceneCut: o.index === cutAt })), {
  title: 'rx-rrm demo (MobileNet-style network, seeded random weights), τ = 0.05',
});
console.log('\nactivity plot (τ = 0.05): out/activity.png');
console.log('\nThe first layer of every frame after a keyframe only integrates the pixels that changed; the sensor noise keeps');
console.log('a few percent of them active at τ = 0, and the depthwise/pointwise stack spreads that activity with depth.');

