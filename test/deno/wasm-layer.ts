/**
 * Runs under the real Deno binary (see test/kernels/wasm-deno.test.ts): an rrm conv layer on the
 * wasm backend and on the plain-JS backend over a few changing maps; prints one JSON line with
 * whether the wasm kernels loaded and the largest difference between the two backends.
 */
import { from, lastValueFrom, toArray } from 'rxjs';
import { jsBackend, rrmConv, wasmBackend, wasmKernelStatus, type FeatureMap, type KernelBackend } from '../../src/index.js';

const weight = Float32Array.from({ length: 8 * 3 * 9 }, (_, i) => Math.sin(i));
const maps: FeatureMap[] = Array.from({ length: 5 }, (_, i) => ({
  data: Float32Array.from({ length: 16 * 16 * 3 }, (_, k) => Math.cos(k + (Math.floor(k / 3) === i * 37 ? 1 : 0))),
  height: 16, width: 16, channels: 3, index: i, timestamp: i, keyframe: false, stats: [],
}));
const run = (backend: KernelBackend) => lastValueFrom(from(maps).pipe(rrmConv({ weight, shape: [8, 3, 3, 3], padding: 1, activation: 'relu', backend }), toArray()));
const [wasm, js] = [await run(wasmBackend), await run(jsBackend)];
let largestDifference = 0;
wasm.forEach((map, i) => map.data.forEach((v, k) => (largestDifference = Math.max(largestDifference, Math.abs(v - js[i]!.data[k]!)))));
const sparseFrames = wasm.slice(1).filter((m) => !m.stats[0]!.dense).length;
console.log(JSON.stringify({ status: wasmKernelStatus(), backend: wasmBackend.name, largestDifference, sparseFrames }));
