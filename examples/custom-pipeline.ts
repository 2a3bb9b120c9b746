/**
 * A pipeline built from rx-rrm operators directly, without ONNX: a small edge-and-blob detector on
 * a generated scene. Swap `syntheticScene` for `fromVideoFile('clip.mp4')` to run it on a video.
 *
 *   npm run example -- custom-pipeline
 */
import { bufferCount, map } from 'rxjs';
import { maxPool, relu, rrmConv, rrmFc, syntheticScene, toTensor } from 'rx-rrm';

// Sobel-like edge filters on the grey level (ONNX/PyTorch weight order [out, in, kH, kW]).
const sobelX = [-1, 0, 1, -2, 0, 2, -1, 0, 1];
const sobelY = [-1, -2, -1, 0, 0, 0, 1, 2, 1];
const edges = new Float32Array(2 * 3 * 9);
for (let c = 0; c < 3; c++) {
  edges.set(sobelX.map((w) => w / 3), (0 * 3 + c) * 9);
  edges.set(sobelY.map((w) => w / 3), (1 * 3 + c) * 9);
}
// A 1x1 conv mixing the two edge maps, and a classifier over the pooled 30x40 map.
const mix = Float32Array.of(1, 1, 1, -1);
const head = Float32Array.from({ length: 2 * 30 * 40 * 2 }, (_, i) => ((i * 37) % 11) / 110 - 0.05);

syntheticScene({ width: 160, height: 120, frames: 60 })
  .pipe(
    toTensor(),
    rrmConv({ name: 'edges', weight: edges, shape: [2, 3, 3, 3], padding: 'same', threshold: 0.02 }),
    relu(),
    rrmConv({ name: 'mix', weight: mix, shape: [2, 2, 1, 1], activation: 'relu' }),
    maxPool({ kernel: 4 }),
    rrmFc({ name: 'score', weight: head, outFeatures: 2 }),
    map((out) => ({ index: out.index, score: Array.from(out.data, (v) => v.toFixed(3)), work: out.stats.reduce((n, s) => n + s.macs, 0) / out.stats.reduce((n, s) => n + s.denseMacs, 0) })),
    bufferCount(10),
  )
  .subscribe((batch) => {
    const last = batch[batch.length - 1]!;
    const work = batch.reduce((n, b) => n + b.work, 0) / batch.length;
    console.log(`frames ${batch[0]!.index}-${last.index}: scores ${last.score.join(', ')}; multiply-adds ${(work * 100).toFixed(1)}% of dense`);
  });
