/**
 * The soak, run as a child process with --expose-gc: frames of the synthetic scene sent over TCP
 * (toSocket → fromSocket) through keyframes, toTensor, two wasm convs, pooling and a fully connected
 * head with softmax, `frames` of them; after every `every` frames a full garbage collection and a
 * memory reading. Prints `{ samples }` then `{ done }` as JSON lines.
 */
import { concatMap, defer, from, lastValueFrom, map, of, tap } from 'rxjs';
import { globalAvgPool, keyframes, maxPool, rrmConv, rrmFc, softmax, toTensor } from '../../src/index.js';
import { sceneFrames } from '../../src/demo/scene.js';
import { fromSocket, toSocket } from '../../src/sources/socket.js';
import { wasmBackend } from '../../src/kernels/wasm/wasm-backend.js';
import { prng } from '../helpers/random.js';

const frames = Number(process.argv[2] ?? 1000);
const every = Number(process.argv[3] ?? 100);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');

const random = prng(10_000);
const weights = (n: number) => Float32Array.from({ length: n }, () => random() - 0.5);
const scene = Array.from(sceneFrames({ width: 64, height: 48, frames: 300, seed: 7 }));

interface Sample {
  readonly frame: number;
  readonly heapUsed: number;
  readonly arrayBuffers: number;
  readonly external: number;
  readonly rss: number;
}
const samples: Sample[] = [];
let processed = 0;
let dropped = 0;

let resolvePort: (port: number) => void;
const port = new Promise<number>((resolve) => (resolvePort = resolve));
const received = fromSocket({ policy: 'queue', queueSize: 4096, onListening: ({ port }) => resolvePort(port) }).pipe(
  tap((frame) => (dropped += frame.dropped)),
  keyframes({ every: 300 }),
  toTensor({ mean: 0.5, std: 0.25 }),
  rrmConv({ weight: weights(8 * 3 * 9), shape: [8, 3, 3, 3], padding: 1, activation: 'relu', threshold: 0.01, backend: wasmBackend }),
  maxPool({ kernel: 2 }),
  rrmConv({ weight: weights(16 * 8 * 9), shape: [16, 8, 3, 3], stride: 2, padding: 1, activation: 'relu', backend: wasmBackend }),
  globalAvgPool(),
  rrmFc({ weight: weights(4 * 16), outFeatures: 4, backend: wasmBackend }),
  softmax(),
);

const consumer = new Promise<void>((resolve, reject) => {
  const subscription = received.subscribe({
    next: (out) => {
      if (!out.data.every(Number.isFinite)) reject(new Error(`frame ${processed}: non-finite output`));
      processed++;
      if (processed % every === 0) {
        gc();
        const usage = process.memoryUsage();
        samples.push({ frame: processed, heapUsed: usage.heapUsed, arrayBuffers: usage.arrayBuffers, external: usage.external, rss: usage.rss });
      }
      if (processed === frames) {
        subscription.unsubscribe();
        resolve();
      }
    },
    error: reject,
  });
});

// The sender waits for the pipeline every 16 frames, so that the soak measures steady work, not a backlog.
await lastValueFrom(
  from(Array.from({ length: frames }, (_, k) => k)).pipe(
    concatMap((k) => (k % 16 === 15 ? defer(async () => {
      while (processed < k - 16) await new Promise((r) => setTimeout(r, 1));
      return k;
    }) : of(k))),
    map((k) => ({ ...scene[k % scene.length]!, index: k, timestamp: k * 40 })),
    toSocket({ port: await port }),
  ),
);
await consumer;
console.log(JSON.stringify({ samples, processed, dropped }));
process.exit(0);
