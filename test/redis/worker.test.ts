// redisWorkers in this process against a real redis-server: every frame gets exactly one result,
// in order, equal bit for bit to a single-process run; a malformed entry is dead-lettered; a
// stale fencing token cannot write; a graceful stop releases every camera.
import { Redis } from 'ioredis';
import { from, lastValueFrom, Subject } from 'rxjs';
import t from 'tap';
import { redisWorkers } from '../../src/scale/workers.js';
import { redisKeys } from '../../src/sources/redis-keys.js';
import { toRedisStream } from '../../src/sources/redis-stream.js';
import { REDIS_MISSING, startRedisServer } from '../helpers/redis-server.js';
import { cameraFrames, cameraName, demoPipeline } from './demo-pipeline.js';
import { frameIds, readResults, referenceOutputs, sameBits, waitFor } from './results.js';

const LEASE_MS = 1000;

t.test('one worker, three cameras: one result per frame, in order, bit-identical to one process', { skip: REDIS_MISSING }, async (t) => {
  const server = await startRedisServer(t);
  const redis = new Redis(server.url);
  t.teardown(() => redis.disconnect());
  const cameras = [0, 1, 2].map((n) => ({ name: cameraName(n), frames: cameraFrames(n, 20) }));
  for (const camera of cameras) await lastValueFrom(from(camera.frames).pipe(toRedisStream(server.url, { camera: camera.name })));
  const stop = new Subject<void>();
  const done = lastValueFrom(redisWorkers(server.url, { workerId: 'w1', pipeline: demoPipeline(), leaseMs: LEASE_MS, until: stop }), { defaultValue: undefined });
  const all = await waitFor(async () => (await Promise.all(cameras.map((c) => redis.xlen(redisKeys.results(c.name))))).every((n) => n === 20), 60_000);
  t.ok(all, 'every frame has a result');
  for (const camera of cameras) {
    const results = await readResults(redis, camera.name);
    t.same(results.map((r) => r.id), await frameIds(redis, camera.name), `${camera.name}: one result per input entry, under its ID, in order`);
    t.same(results.map((r) => r.index), camera.frames.map((f) => f.index), `${camera.name}: frame indexes`);
    t.same(results.map((r) => r.keyframe), camera.frames.map((_, i) => i === 0), `${camera.name}: one keyframe, the first frame`);
    const reference = await referenceOutputs(camera.frames);
    t.ok(results.every((r, i) => sameBits(r.outputs.map!.data, reference[i]!.data)), `${camera.name}: outputs bit-identical to one process`);
    const pending = (await redis.xpending(redisKeys.frames(camera.name), redisKeys.workerGroup)) as [number];
    t.equal(pending[0], 0, `${camera.name}: every input acknowledged`);
  }
  stop.next();
  await done;
  for (const camera of cameras) t.equal(await redis.get(redisKeys.lease(camera.name)), null, `${camera.name}: released at stop`);
  t.equal(await redis.zcard(redisKeys.workers('*')), 0, 'the stopped worker left the registry');
});
