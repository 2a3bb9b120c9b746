/**
 * Runs under the real Deno binary (see test/kernels/native-deno.test.ts): an rrm conv layer on the
 * native backend (Node-API) and on the plain-JS backend over a few changing maps, on one thread and
 * on two; prints one JSON line with whether the addon loaded and the largest differences.
 */
import { from, lastValueFrom, toArray } from 'rxjs';
import { createNativeBackend, jsBackend, nativeKernelStatus, rrmConv, type FeatureMap, type KernelBackend } from '../../src/index.js';

const weight = Float32Array.from({ length: 16 * 8 * 9 }, (_, i) => Math.sin(i));
const maps: FeatureMap[] = Array.from({ length: 5 }, (_, i) => ({
  data: Float32Array.from({ length: 24 * 24 * 8 }, (_, k) => Math.cos(k + (Math.floor(k / 8) % 53 === i ? 1 : 0))),
  height: 24, width: 24, channels: 8, index: i, timestamp: i, keyframe: false, stats: [],
}));
const run = (backend: KernelBackend) => lastValueFrom(from(maps).pipe(rrmConv({ weight, shape: [16, 8, 3, 3], padding: 1, activation: 'relu', backend }), toArray()));
const status = nativeKernelStatus();
const native = createNativeBackend({ notice: () => {} });
const twoThreads = createNativeBackend({ threads: 2, minSplitWork: 0, notice: () => {} });
const js = await run(jsBackend);
const largest = (outputs: FeatureMap[]) => outputs.reduce((m, map, i) => map.data.reduce((n, v, k) => Math.max(n, Math.abs(v - js[i]!.data[k]!)), m), 0);
const one = await run(native);
const two = await run(twoThreads);
const sparseFrames = one.slice(1).filter((m) => !m.stats[0]!.dense).length;
console.log(JSON.stringify({ status, backend: native.name, largestDifference: largest(one), largestDifferenceTwoThreads: largest(two), sparseFrames }));
