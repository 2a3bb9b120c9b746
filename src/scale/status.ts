/**
 * What `rx-rrm status` shows: per camera its owner, the frames waiting for the workers (lag), the
 * results per second, keyframes (one per start or hand-over), dead-lettered entries; and the live
 * workers. Read-only: it never changes a key.
 */
import type { Redis } from 'ioredis';
import { cameraOfFramesKey, redisKeys } from '../sources/redis-keys.js';

export interface CameraStatus {
  readonly camera: string;
  /** The worker id holding the lease, and its fencing token; undefined when free. */
  readonly owner: string | undefined;
  readonly token: number | undefined;
  /** Frames in the stream now (bounded by the publisher's max-len). */
  readonly streamLength: number;
  /** Entries not yet delivered to a worker; undefined when Redis cannot tell (after trimming past the group). */
  readonly lag: number | undefined;
  /** Delivered to a worker and not yet acknowledged. */
  readonly pending: number;
  /** Results written, keyframes among them, entries dead-lettered: counted by the workers' fenced writes. */
  readonly results: number;
  readonly keyframes: number;
  readonly dead: number;
  /** Results per second over the sampling interval. */
  readonly fps: number;
  /** Milliseconds since the last result (Redis clock); undefined before the first. */
  readonly lastResultAgoMs: number | undefined;
}

export interface PoolStatus {
  readonly cameras: readonly CameraStatus[];
  /** Live worker instances of the pool (`<workerId>/<random>`), with the ms until their heartbeat expires. */
  readonly workers: readonly { readonly instance: string; readonly expiresInMs: number }[];
}

export async function poolStatus(redis: Redis, pattern: string, intervalMs: number): Promise<PoolStatus> {
  const cameras = await scanCameras(redis, pattern);
  const first = await Promise.all(cameras.map((camera) => redis.hget(redisKeys.stats(camera), 'frames')));
  const started = performance.now();
  if (intervalMs > 0) await new Promise((resolve) => setTimeout(resolve, intervalMs));
  const now = await redisNow(redis);
  const statuses = await Promise.all(cameras.map(async (camera, i) => {
    const status = await cameraStatus(redis, camera, now);
    const elapsed = (performance.now() - started) / 1000;
    return { ...status, fps: intervalMs > 0 ? (status.results - Number(first[i] ?? 0)) / elapsed : 0 };
  }));
  const scored = await redis.zrange(redisKeys.workers(pattern), '0', '-1', 'WITHSCORES');
  const workers = [];
  for (let i = 0; i + 1 < scored.length; i += 2) {
    const expiresInMs = Number(scored[i + 1]) - now;
    if (expiresInMs > 0) workers.push({ instance: scored[i]!, expiresInMs });
  }
  return { cameras: statuses, workers };
}

async function cameraStatus(redis: Redis, camera: string, now: number): Promise<Omit<CameraStatus, 'fps'>> {
  const [holder, streamLength, stats, groups] = await Promise.all([
    redis.get(redisKeys.lease(camera)),
    redis.xlen(redisKeys.frames(camera)),
    redis.hgetall(redisKeys.stats(camera)),
    redis.xinfo('GROUPS', redisKeys.frames(camera)) as Promise<unknown[][]>,
  ]);
  const group = groups.map(pairs).find((g) => g.name === redisKeys.workerGroup);
  const [instance, token] = holder ? holder.split(' ') : [];
  const lastAt = stats.lastAt === undefined ? undefined : Number(stats.lastAt);
  return {
    camera,
    owner: instance?.split('/')[0],
    token: token === undefined ? undefined : Number(token),
    streamLength,
    lag: typeof group?.lag === 'number' ? group.lag : group ? undefined : streamLength,
    pending: typeof group?.pending === 'number' ? group.pending : 0,
    results: Number(stats.frames ?? 0),
    keyframes: Number(stats.keyframes ?? 0),
    dead: Number(stats.dead ?? 0),
    lastResultAgoMs: lastAt === undefined ? undefined : Math.max(0, now - lastAt),
  };
}

/** A flat `[name, value, ...]` reply as an object. */
function pairs(reply: unknown[]): Record<string, unknown> {
  const record: Record<string, unknown> = {};
  for (let i = 0; i + 1 < reply.length; i += 2) record[String(reply[i])] = reply[i + 1];
  return record;
}

async function redisNow(redis: Redis): Promise<number> {
  const [seconds, micros] = await redis.time();
  return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
}

export async function scanCameras(redis: Redis, pattern: string): Promise<string[]> {
  const found = new Set<string>();
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', redisKeys.frames(pattern), 'COUNT', 1000, 'TYPE', 'stream');
    cursor = next;
    for (const key of keys) found.add(cameraOfFramesKey(key));
  } while (cursor !== '0');
  return [...found].sort();
}
