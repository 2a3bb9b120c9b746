/**
 * Runs under the real Deno binary (see test/kernels/wasm-deno.test.ts): the two-thread wasm backend
 * (a worker over the shared wasm memory) on a conv large enough to split, against the plain-JS
 * backend; prints one JSON line with how many jobs the worker took and the largest difference.
 */
import { from, lastValueFrom, toArray } from 'rxjs';
import { createWasmBackend, jsBackend, rrmConv, type FeatureMap, type KernelBackend } from '../../src/index.js';
import { helperThread } from '../../src/kernels/wasm/helper-thread.js';
import { loadWasmRuntime } from '../../src/kernels/wasm/kernel-module.js';

const loaded = loadWasmRuntime('auto', true);
if (!('runtime' in loaded)) throw new Error(loaded.error);
const helper = helperThread(loaded.runtime);
await helper.whenReady();

// 3x3, 32 -> 32 on 48x48: 21M multiply-adds per dense conv, ten times the split threshold.
const [height, width, channels] = [48, 48, 32];
const weight = Float32Array.from({ length: 32 * channels * 9 }, (_, i) => Math.sin(i) / 16);
const maps: FeatureMap[] = Array.from({ length: 4 }, (_, i) => ({
  data: Float32Array.from({ length: height * width * channels }, (_, k) => Math.cos(k * 0.01 + i)),
  height, width, channels, index: i, timestamp: i, keyframe: false, stats: [],
}));
const run = (backend: KernelBackend) => lastValueFrom(from(maps).pipe(rrmConv({ weight, shape: [32, channels, 3, 3], padding: 1, activation: 'relu', backend }), toArray()));
const jobsBefore = helper.jobCount;
const wasm = await run(createWasmBackend({ threads: 2 }));
const workerJobs = helper.jobCount - jobsBefore;
const js = await run(jsBackend);
let largestDifference = 0;
wasm.forEach((map, i) => map.data.forEach((v, k) => (largestDifference = Math.max(largestDifference, Math.abs(v - js[i]!.data[k]!)))));
console.log(JSON.stringify({ workerJobs, largestDifference, frames: wasm.length }));
