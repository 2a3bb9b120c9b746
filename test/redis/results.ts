/** Reading what the workers wrote, and the single-process reference it must equal. */
import { Redis } from 'ioredis';
import { from, lastValueFrom, toArray } from 'rxjs';
import { decodeResultEntry, type ResultEntry } from '../../src/scale/result-fields.js';
import { redisKeys } from '../../src/sources/redis-keys.js';
import type { FeatureMap, Frame } from '../../src/types.js';
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
