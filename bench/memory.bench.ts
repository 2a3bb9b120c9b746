/**
 * Memory of a long run: UltraFace-slim-320 through `model.pipeline` (the default kernels, τ = 0.03) over
 * 10,000 frames (a real clip's first 200 frames, played forwards then backwards so the video stays
 * continuous). Resident memory after 500 frames is compared with that after 10,000: the fused graph
 * updates its maps in place and its engines never grow memory during frames. Each reading follows
 * a full garbage collection, so that it measures what is kept, not what is waiting to be collected.
 */
import { existsSync } from 'node:fs';
import { Observable, take } from 'rxjs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { loadOnnx } from '../src/model/index.js';
import { readFrames } from '../test/helpers/onnx-video.js';
import { modelPath, videoPath } from '../test/helpers/shared-data.js';
import { percentile, printTable } from './harness.js';

const MODEL = modelPath('ultraface-slim-320.onnx');
const CLIP = videoPath('one-by-one-person-detection.mp4');
const FRAMES = 10_000;

/** A full collection, without needing `--expose-gc` on the command line. */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

export async function run(): Promise<void> {
  if (!existsSync(MODEL) || !existsSync(CLIP)) {
    console.log('skipped: ../shared/data (UltraFace model and clip) absent');
    return;
  }
  const model = await loadOnnx(MODEL);
  const frames = await readFrames(CLIP, 200, { width: 320, height: 240 });
  const pingPong = [...frames, ...frames.slice(1, -1).reverse()];
  // Fresh frame objects with increasing indices, generated on demand (nothing held but the 200 decoded ones).
  const source = new Observable<(typeof frames)[number]>((subscriber) => {
    for (let i = 0; i < FRAMES && !subscriber.closed; i++) subscriber.next({ ...pingPong[i % pingPong.length]!, index: i, timestamp: i * 100 });
    subscriber.complete();
  });
  const runFrames = (count: number, onEach: (done: number) => void) =>
    new Promise<void>((done, fail) => {
      let n = 0;
      source
        .pipe(take(count), model.pipeline({ preprocess: { mean: 127, scale: 1 / 128 }, threshold: 0.03 }))
        .subscribe({ next: () => onEach(++n), error: fail, complete: done });
    });
  await runFrames(300, () => {}); // warm-up: compile the JavaScript
  const readings: { frames: number; rss: number; heap: number; buffers: number }[] = [];
  const latencies: number[] = [];
  let last = performance.now();
  await runFrames(FRAMES, (n) => {
    const now = performance.now();
    latencies.push(now - last);
    last = now;
    if (n === 500 || n === 2_000 || n === 5_000 || n === FRAMES) {
      collectGarbage();
      const usage = process.memoryUsage();
      readings.push({ frames: n, rss: usage.rss, heap: usage.heapUsed, buffers: usage.arrayBuffers });
      last = performance.now(); // the collection is not a frame's time
    }
  });
  const at500 = readings[0]!.rss;
  const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
  printTable(
    ['frames', 'resident MB', 'vs 500 frames', 'JS heap MB', 'ArrayBuffers MB (native layer state included)'],
    readings.map((r) => [r.frames, mb(r.rss), `${(((r.rss - at500) / at500) * 100).toFixed(1)}%`, mb(r.heap), mb(r.buffers)]),
  );
  console.log(`per-frame time over the ${FRAMES} frames (decoding excluded, preprocessing included): median ${percentile(latencies, 50).toFixed(2)} ms, p99 ${percentile(latencies, 99).toFixed(2)} ms`);
}
