/** Reading what the workers wrote, and the single-process reference it must equal. */
import { Redis } from 'ioredis';
import { from, lastValueFrom, toArray } from 'rxjs';
import { decodeResultEntry, type ResultEntry } from '../../../src/scale/result-fields.js';
import { redisKeys } from '../../../src/sources/redis-keys.js';
import type { PublishedFrame } from '../../../src/sources/redis-stream.js';
import type { FeatureMap, Frame } from '../../../src/types.js';

type Tap = Pick<import('tap').Test, 'same' | 'ok' | 'equal'>;
import { demoPipeline } from './demo-pipeline.js';

export async function readResults(redis: Redis, camera: string): Promise<ResultEntry[]> {
  const entries = (await redis.xrangeBuffer(redisKeys.results(camera), '-', '+')) as [Buffer, Buffer[]][];
  return entries.map(([id, fields]) => decodeResultEntry(id.toString(), fields));
}

/** Entry IDs of a camera's frame stream, in order. */
export async function frameIds(redis: Redis, camera: string): Promise<string[]> {
  const entries = await redis.xrange(redisKeys.frames(camera), '-', '+');
  return entries.map(([id]) => id);
}

/** The demo pipeline in this process over `frames`, keyframes where `keyframeAt` says: the reference. */
export async function referenceOutputs(frames: readonly Frame[], keyframeAt: (index: number) => boolean = (i) => i === 0): Promise<FeatureMap[]> {
  const marked = frames.map((frame, i) => (keyframeAt(i) ? { ...frame, keyframe: true } : frame));
  return lastValueFrom(from(marked).pipe(demoPipeline(), toArray()));
}

/** True when two float arrays hold the same bits. */
export function sameBits(a: Float32Array, b: Float32Array): boolean {
  return a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

/** Polls `condition` every 50 ms until it holds or `timeoutMs` passes; returns whether it held. */
export async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * The checks every multi-process test makes on one camera, against what its publisher stored:
 * every input entry except the dead-lettered ones has exactly one result, in order, under its ID;
 * keyframes exactly where the fencing token changed (the camera changed hands); outputs bit-identical
 * to one process over the same frames with keyframes at the same places, and within float rounding
 * of the uninterrupted run; nothing left pending. Returns the number of hand-overs.
 */
export async function checkCamera(t: Tap, redis: Redis, camera: string, published: readonly PublishedFrame[], deadIds: readonly string[] = []): Promise<number> {
  const results = await readResults(redis, camera);
  const inputIds = await frameIds(redis, camera);
  const dead = new Set(deadIds);
  t.same(inputIds.filter((id) => !dead.has(id)), published.map((p) => p.entryId), `${camera}: the stream holds what was published${dead.size ? ` and ${dead.size} malformed entries` : ''}`);
  t.same(results.map((r) => r.id), published.map((p) => p.entryId), `${camera}: every frame's entry ID exactly once, in order`);
  const handOver = results.map((r, i) => i === 0 || r.token !== results[i - 1]!.token);
  t.same(results.map((r) => r.keyframe), handOver, `${camera}: a keyframe exactly where it changed hands (${handOver.filter(Boolean).length - 1} moves)`);
  t.ok(results.every((r, i) => i === 0 || r.token >= results[i - 1]!.token), `${camera}: fencing tokens never go back`);
  const frames = published.map(({ entryId: _e, trimmed: _t, dropped: _d, ...frame }) => frame);
  const reference = await referenceOutputs(frames, (i) => handOver[i] ?? false);
  t.ok(results.length === reference.length && results.every((r, i) => sameBits(r.outputs.map!.data, reference[i]!.data)), `${camera}: outputs bit-identical to one process with the same keyframes`);
  const uninterrupted = await referenceOutputs(frames);
  const worst = Math.max(0, ...results.map((r, i) => maxRelativeDifference(r.outputs.map!.data, uninterrupted[i]!.data)));
  t.ok(worst < 1e-4, `${camera}: and to the uninterrupted run up to float rounding (largest relative difference ${worst.toExponential(1)})`);
  const pending = (await redis.xpending(redisKeys.frames(camera), redisKeys.workerGroup)) as [number];
  t.equal(pending[0], 0, `${camera}: every input acknowledged`);
  return handOver.filter(Boolean).length - 1;
}

function maxRelativeDifference(a: Float32Array, b: Float32Array): number {
  let scale = 0;
  let difference = 0;
  for (let i = 0; i < a.length; i++) {
    scale = Math.max(scale, Math.abs(b[i]!));
    difference = Math.max(difference, Math.abs(a[i]! - b[i]!));
  }
  return scale === 0 ? difference : difference / scale;
}
