/**
 * The cost of scaling out through Redis (issue 14), against a redis-server started here:
 * 1. frames/s of one worker through Redis (`redisWorkers`: XREADGROUP, decode, pipeline, fenced
 *    result write and XACK) against the same pipeline in this process on the same frames, at
 *    320x240 and 640x480, contenders alternating over `REDIS_ROUNDS` rounds (default 5). Both are
 *    timed from the first output to the last, so neither counts a start-up. A third contender, a
 *    worker whose pipeline does nothing, shows what the transport alone lets one worker move;
 * 2. the time from `kill -9` of a worker process to the first result of each camera it held, with
 *    worker processes killed one after another (6 workers, 6 cameras at 10 fps), per lease time;
 * 3. Redis memory (INFO memory used_memory) once a publisher has appended three times `maxLen`
 *    frames: what `maxLen` bounds it to.
 * The pipeline is the demo network at τ = 0 on generated scenes (the Redis tests' pipeline).
 */
import { Redis } from 'ioredis';
import { from, lastValueFrom, map, Subject, type Observable, type OperatorFunction } from 'rxjs';
import { sceneFrames } from '../src/demo/scene.js';
import type { WorkerOutput } from '../src/scale/result-fields.js';
import { redisWorkers } from '../src/scale/workers.js';
import { redisKeys } from '../src/sources/redis-keys.js';
import { toRedisStream } from '../src/sources/redis-stream.js';
import type { Frame } from '../src/types.js';
import { demoPipeline } from '../test/helpers/redis/demo-pipeline.js';
import { waitFor } from '../test/helpers/redis/results.js';
import { publishCameras, WorkerPool } from '../test/helpers/redis/worker-pool.js';
import { REDIS_MISSING, startRedisServer, type TestRedisServer } from '../test/helpers/redis-server.js';
import { median, printTable } from './harness.js';

const SIZES: [number, number][] = [[320, 240], [640, 480]];
const FRAMES = Number(process.env.REDIS_FRAMES ?? 60);
const ROUNDS = Math.max(5, Number(process.env.REDIS_ROUNDS ?? 5));
const LEASES_MS = [1000, 3000];
const KILLS = Number(process.env.REDIS_KILLS ?? 5);
const MEMORY_CASES: [number, number, number][] = [[320, 240, 20], [320, 240, 100], [640, 480, 100]];

export async function run(): Promise<void> {
  if (REDIS_MISSING) return console.log(`skipped: ${REDIS_MISSING}`);
  const teardowns: (() => unknown)[] = [];
  const scope = { teardown: (fn: () => unknown) => void teardowns.push(fn) };
  try {
    const server = await startRedisServer(scope);
    const redis = new Redis(server.url);
    scope.teardown(() => redis.disconnect());
    await throughput(server, redis);
    await failover(server, redis, scope);
    await memory(server, redis);
  } finally {
    for (const teardown of teardowns.reverse()) await teardown();
  }
}

/** Milliseconds from the first emission to the last, once `source` completes. */
async function firstToLast(source: Observable<unknown>): Promise<number> {
  let first: number | undefined;
  let last = 0;
  await new Promise<void>((resolve, reject) =>
    source.subscribe({
      next: () => {
        last = performance.now();
        first ??= last;
      },
      error: reject,
      complete: resolve,
    }),
  );
  return last - (first ?? last);
}

async function throughput(server: TestRedisServer, redis: Redis): Promise<void> {
  const rows: string[][] = [];
  let run = 0;
  for (const [width, height] of SIZES) {
    const frames = [...sceneFrames({ width, height, frames: FRAMES, seed: 21, cutAt: -1, fps: 10 })];
    const inProcess = () => firstToLast(from(frames).pipe(demoPipeline()));
    const throughRedis = (pipeline: () => OperatorFunction<Frame, WorkerOutput>) => async () => {
      const camera = `bench-${width}x${height}-${run++}`;
      await lastValueFrom(from(frames).pipe(toRedisStream(server.url, { camera, maxLen: FRAMES })));
      const stop = new Subject<void>();
      let results = 0;
      const worker = new Subject<unknown>();
      const elapsed = firstToLast(worker);
      redisWorkers(server.url, { workerId: 'bench', cameras: camera, pipeline: pipeline(), leaseMs: 1000, until: stop }).subscribe({
        next: (event) => {
          if (event.type !== 'result') return;
          worker.next(event);
          if (++results === frames.length) stop.next();
        },
        error: (error: unknown) => worker.error(error),
        complete: () => worker.complete(),
      });
      const ms = await elapsed;
      // Each run leaves nothing behind: Redis memory is measured later.
      await redis.del(...Object.values(redisKeys).filter((key) => typeof key === 'function').map((key) => key(camera)));
      return ms;
    };
    const contenders = [inProcess, throughRedis(demoPipeline), throughRedis(noWork)];
    for (const contender of contenders) await contender(); // warm-up
    const times = contenders.map(() => [] as number[]);
    for (let round = 0; round < ROUNDS; round++) for (const [k, contender] of contenders.entries()) times[k]!.push(await contender());
    const fps = (ms: number) => (1000 * (frames.length - 1)) / ms;
    const ratios = times[0]!.map((ms, round) => ms / times[1]![round]!);
    rows.push([
      `${width}x${height}`, `${(width * height * 3) >> 10} KB`, fps(median(times[0]!)).toFixed(1), fps(median(times[1]!)).toFixed(1),
      `${(median(ratios) * 100).toFixed(0)}%`, fps(median(times[2]!)).toFixed(0),
    ]);
  }
  console.log(`\nOne worker, demo network at τ = 0, ${FRAMES} generated frames per run, first output to last, median of ${ROUNDS} rounds (contenders alternating)\n`);
  printTable(['size', 'frame', 'in-process frames/s', 'through Redis frames/s', 'Redis / in-process (median of per-round ratios)', 'through Redis, no pipeline work'], rows);
}

/** A pipeline that does nothing (one value out per frame): what the transport alone lets one worker move. */
function noWork(): OperatorFunction<Frame, WorkerOutput> {
  return map((frame) => ({ data: new Float32Array(1), width: 1, height: 1, channels: 1, index: frame.index, timestamp: frame.timestamp, keyframe: frame.keyframe ?? false, stats: [] }));
}

async function failover(server: TestRedisServer, redis: Redis, scope: { teardown: (fn: () => unknown) => void }): Promise<void> {
  const rows: string[][] = [];
  for (const leaseMs of LEASES_MS) {
    await redis.flushall();
    const pool = new WorkerPool(server.url, leaseMs, scope);
    const ids = Array.from({ length: KILLS + 1 }, (_, n) => `w${n + 1}`);
    await Promise.all(ids.map((id) => pool.start(id, 120_000)));
    const stop = new Subject<void>();
    const publishing = publishCameras(server.url, ids.length, 10, stop);
    const live = new Set(ids);
    const acquiredAfter: number[] = [];
    const resultAfter: number[] = [];
    const settled = () => [...pool.holdings()].filter(([id]) => live.has(id)).reduce((sum, [, held]) => sum + held.size, 0) === ids.length;
    for (let kill = 0; kill < KILLS; kill++) {
      if (!(await waitFor(settled, 60_000))) throw new Error('the cameras did not settle on the live workers within 60 s');
      const held = pool.holdings();
      const victim = [...live].sort((a, b) => (held.get(b)?.size ?? 0) - (held.get(a)?.size ?? 0))[0]!;
      const orphans = [...held.get(victim)!];
      const killedAt = Date.now();
      pool.workers.get(victim)!.child.kill('SIGKILL');
      live.delete(victim);
      const firstResult = (camera: string) => pool.events.find((e) => e.camera === camera && e.type === 'result' && e.worker !== victim && e.at >= killedAt);
      if (!(await waitFor(() => orphans.every((camera) => firstResult(camera)), 60_000))) throw new Error(`${victim}'s cameras got no result from another worker within 60 s`);
      for (const camera of orphans) {
        acquiredAfter.push(pool.events.find((e) => e.camera === camera && e.type === 'acquired' && e.at >= killedAt)!.at - killedAt);
        resultAfter.push(firstResult(camera)!.at - killedAt);
      }
    }
    stop.next();
    await publishing;
    for (const worker of pool.workers.values()) worker.child.kill('SIGKILL');
    await Promise.all([...pool.workers.values()].map((worker) => worker.exited));
    const range = (values: number[]) => `${median(values).toFixed(0)} ms (${Math.min(...values)}-${Math.max(...values)})`;
    rows.push([`${leaseMs} ms`, String(KILLS), String(resultAfter.length), range(acquiredAfter), range(resultAfter)]);
  }
  console.log(`\nkill -9 of a worker process (${KILLS + 1} workers, ${KILLS + 1} cameras at 10 fps, the worker holding the most cameras killed, ${KILLS} times in a row): median (range) over the cameras moved\n`);
  printTable(['lease', 'kills', 'cameras moved', 'kill to new lease', 'kill to first result'], rows);
}

async function memory(server: TestRedisServer, redis: Redis): Promise<void> {
  const rows: string[][] = [];
  for (const [width, height, maxLen] of MEMORY_CASES) {
    await redis.flushall();
    const before = await usedMemory(redis);
    const frames: Frame[] = [...sceneFrames({ width, height, frames: 20, seed: 5, cutAt: -1, fps: 10 })];
    const camera = `memory-${width}x${height}`;
    // In chunks of 20 (a fresh subscription each): toRedisStream never has to drop a frame for want of Redis.
    for (let sent = 0; sent < 3 * maxLen; sent += frames.length) {
      const chunk = frames.map((frame, i) => ({ ...frame, index: sent + i, timestamp: (sent + i) * 100 }));
      await lastValueFrom(from(chunk).pipe(toRedisStream(server.url, { camera, maxLen })));
    }
    const used = (await usedMemory(redis)) - before;
    const length = await redis.xlen(redisKeys.frames(camera));
    const frameBytes = width * height * 3;
    rows.push([`${width}x${height}`, String(maxLen), String(3 * maxLen), String(length), `${(used / 2 ** 20).toFixed(1)} MiB`, `${(used / (maxLen * frameBytes)).toFixed(3)}`]);
  }
  await redis.flushall();
  console.log('\nRedis memory (INFO memory used_memory, less that of an empty server) after a publisher appended 3 x maxLen frames\n');
  printTable(['size', 'maxLen', 'frames appended', 'frames kept (XLEN)', 'used_memory', 'used / (maxLen x frame bytes)'], rows);
}

async function usedMemory(redis: Redis): Promise<number> {
  const info = await redis.info('memory');
  return Number(/^used_memory:(\d+)/m.exec(info)![1]);
}
