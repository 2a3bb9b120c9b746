// redisWorkers in this process against a real redis-server: every frame gets exactly one result,
// in order, equal bit for bit to a single-process run; a malformed entry is dead-lettered; a
// stale fencing token cannot write; a graceful stop releases every camera.
import { Redis } from 'ioredis';
import { from, lastValueFrom, map, Subject, toArray, type Subscription } from 'rxjs';
import t from 'tap';
import { redisWorkers } from '../../src/scale/workers.js';
import type { WorkerEvent } from '../../src/scale/worker-events.js';
import { ACQUIRE, RELEASE, RENEW, WRITE_RESULT } from '../../src/scale/worker-scripts.js';
import { redisKeys } from '../../src/sources/redis-keys.js';
import { toRedisStream } from '../../src/sources/redis-stream.js';
import { REDIS_MISSING, startRedisServer } from '../helpers/redis-server.js';
import { cameraFrames, cameraName, demoPipeline } from '../helpers/redis/demo-pipeline.js';
import { frameIds, readResults, referenceOutputs, sameBits, waitFor } from '../helpers/redis/results.js';

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

t.test('a frame the pipeline fails on is dead-lettered; the camera restarts with a keyframe', { skip: REDIS_MISSING }, async (t) => {
  const server = await startRedisServer(t);
  const redis = new Redis(server.url);
  t.teardown(() => redis.disconnect());
  const frames = cameraFrames(4, 8);
  await lastValueFrom(from(frames).pipe(toRedisStream(server.url, { camera: 'cam-x' })));
  const failing = (source: Parameters<ReturnType<typeof demoPipeline>>[0]) =>
    source.pipe(map((frame) => {
      if (frame.index === 3) throw new Error('frame 3 is cursed');
      return frame;
    }), demoPipeline());
  const subscription = redisWorkers(server.url, { workerId: 'w1', pipeline: failing, leaseMs: LEASE_MS }).subscribe();
  t.teardown(() => subscription.unsubscribe());
  t.ok(await waitFor(async () => (await redis.xlen(redisKeys.results('cam-x'))) === 7, 60_000), 'seven results');
  const results = await readResults(redis, 'cam-x');
  const ids = await frameIds(redis, 'cam-x');
  t.same(results.map((r) => r.id), ids.filter((_, i) => i !== 3), 'every frame but the failed one');
  const dead = await redis.xrange(redisKeys.dead('cam-x'), '-', '+');
  t.equal(dead[0]?.[0], ids[3], 'the failed frame is dead-lettered under its ID');
  t.match(dead[0]?.[1].slice(0, 2), ['reason', 'the pipeline failed on this frame: frame 3 is cursed']);
  t.same(results.map((r) => r.keyframe), [true, false, false, true, false, false, false], 'the frame after it starts afresh with a keyframe');
  const kept = frames.filter((_, i) => i !== 3);
  const reference = await referenceOutputs(kept, (i) => i === 0 || i === 3);
  t.ok(results.every((r, i) => sameBits(r.outputs.map!.data, reference[i]!.data)), 'outputs as one process with the same keyframes');
});

t.test('fencing: a holder whose token is not the latest can neither write nor renew', { skip: REDIS_MISSING }, async (t) => {
  const server = await startRedisServer(t);
  const redis = new Redis(server.url);
  t.teardown(() => redis.disconnect());
  const camera = 'cam-f';
  const keys = { lease: redisKeys.lease(camera), fence: redisKeys.fence(camera) };
  const [frame] = cameraFrames(0, 1);
  const [published] = await lastValueFrom(from([frame!]).pipe(toRedisStream(server.url, { camera }), map((p) => [p])));
  await redis.xgroup('CREATE', redisKeys.frames(camera), redisKeys.workerGroup, '0');
  await redis.xreadgroup('GROUP', redisKeys.workerGroup, 'a', 'COUNT', 1, 'STREAMS', redisKeys.frames(camera), '>');
  const acquire = (instance: string) => ACQUIRE.run(redis, [keys.lease, keys.fence], [instance, 60_000]);
  const write = (instance: string, token: number) =>
    WRITE_RESULT.run(redis, [redisKeys.frames(camera), redisKeys.results(camera), keys.fence, keys.lease, redisKeys.stats(camera)], [redisKeys.workerGroup, published!.entryId, token, instance, 60_000, 1, 100, 'index', '0']);
  t.equal(await acquire('a/1'), 1, 'a takes the camera with token 1');
  t.equal(await acquire('a/1'), 1, 'asking again (a resend) returns the same token');
  t.equal(await acquire('b/1'), null, 'b cannot take a held camera');
  await redis.del(keys.lease); // a's lease expired
  t.equal(await acquire('b/1'), 2, 'once it expired, b takes it with token 2');
  t.equal(await write('a/1', 1), -1, 'a write with token 1 is refused');
  t.equal(await redis.xlen(redisKeys.results(camera)), 0, 'nothing written');
  t.equal(((await redis.xpending(redisKeys.frames(camera), redisKeys.workerGroup)) as [number])[0], 1, 'nothing acknowledged');
  t.equal(await RENEW.run(redis, [keys.lease, keys.fence], ['a/1', 1, 60_000]), 0, 'a cannot renew');
  t.equal(await write('b/1', 2), 1, 'b writes');
  t.equal(await write('b/1', 2), 0, 'the same write again is refused by Redis as a copy, and only acknowledges');
  t.equal(await redis.xlen(redisKeys.results(camera)), 1, 'one result');
  t.equal(await RELEASE.run(redis, [keys.lease, keys.fence], ['b/1', 2]), 1, 'b releases');
  t.equal(await RENEW.run(redis, [keys.lease, keys.fence], ['b/1', 2, 60_000]), 0, 'a renewal of b still on its way cannot bring the lease back');
  t.equal(await redis.get(keys.lease), null);
});

t.test('a result below a later one is refused as out of order, not taken for a copy', { skip: REDIS_MISSING }, async (t) => {
  const server = await startRedisServer(t);
  const redis = new Redis(server.url);
  t.teardown(() => redis.disconnect());
  const camera = 'cam-o';
  const published = await lastValueFrom(from(cameraFrames(0, 2)).pipe(toRedisStream(server.url, { camera }), toArray()));
  await redis.xgroup('CREATE', redisKeys.frames(camera), redisKeys.workerGroup, '0');
  await redis.xreadgroup('GROUP', redisKeys.workerGroup, 'a', 'COUNT', 2, 'STREAMS', redisKeys.frames(camera), '>');
  const token = (await ACQUIRE.run(redis, [redisKeys.lease(camera), redisKeys.fence(camera)], ['a/1', 60_000])) as number;
  const write = (id: string) =>
    WRITE_RESULT.run(redis, [redisKeys.frames(camera), redisKeys.results(camera), redisKeys.fence(camera), redisKeys.lease(camera), redisKeys.stats(camera)], [redisKeys.workerGroup, id, token, 'a/1', 60_000, 0, 100, 'index', '0']);
  const [first, second] = published.map((p) => p.entryId) as [string, string];
  t.equal(await write(second), 1, 'the second frame\'s result is written');
  t.equal(await write(first), -2, 'the first one\'s, after it, is refused as out of order');
  t.same(await frameIdsPending(redis, camera), [first], 'and its input stays pending, not acknowledged');
  t.equal(await write(second), 0, 'while a copy of the second is still a copy');
  await redis.xtrim(redisKeys.results(camera), 'MAXLEN', 0);
  t.equal(await write(second), 0, 'even once trimmed from the results');
});

t.test('rebalance: a worker joining or leaving gives a fair share within two lease periods', { skip: REDIS_MISSING }, async (t) => {
  const server = await startRedisServer(t);
  const cameras = Array.from({ length: 6 }, (_, n) => cameraName(n));
  for (const [n, camera] of cameras.entries()) await lastValueFrom(from(cameraFrames(n, 2)).pipe(toRedisStream(server.url, { camera })));
  const events: (WorkerEvent & { worker: string; at: number })[] = [];
  const workers = new Map<string, { subscription: Subscription; stop: Subject<void> }>();
  const start = (id: string) => {
    const stop = new Subject<void>();
    const subscription = redisWorkers(server.url, { workerId: id, pipeline: demoPipeline(), leaseMs: LEASE_MS, until: stop }).subscribe((event) => events.push({ ...event, worker: id, at: Date.now() }));
    workers.set(id, { subscription, stop });
  };
  t.teardown(() => workers.forEach((w) => w.subscription.unsubscribe()));
  const holdings = () => {
    const held = new Map<string, Set<string>>();
    for (const e of events) {
      if (!('camera' in e) || (e.type !== 'acquired' && e.type !== 'released' && e.type !== 'lost')) continue;
      const set = held.get(e.worker) ?? new Set<string>();
      held.set(e.worker, set);
      if (e.type === 'acquired') set.add(e.camera);
      else set.delete(e.camera);
    }
    return held;
  };
  const fair = (ids: string[], share: number) => () => {
    const held = holdings();
    return ids.every((id) => held.get(id)?.size === share);
  };
  const within = async (what: string, ids: string[], share: number) => {
    const since = Date.now();
    const reached = await waitFor(fair(ids, share), 60_000);
    const took = Date.now() - since;
    t.ok(reached && took <= 2 * LEASE_MS, `${what}: ${ids.join(', ')} hold ${share} each, ${took} ms later (lease ${LEASE_MS} ms)`);
  };
  start('w1');
  await within('one worker', ['w1'], 6);
  start('w2');
  await within('w2 joins', ['w1', 'w2'], 3);
  start('w3');
  await within('w3 joins', ['w1', 'w2', 'w3'], 2);
  workers.get('w3')!.stop.next();
  await within('w3 leaves gracefully', ['w1', 'w2'], 3);
  workers.get('w2')!.subscription.unsubscribe();
  await within('w2 unsubscribed', ['w1'], 6);
  const probe = new Redis(server.url);
  t.teardown(() => probe.disconnect());
  t.equal((await probe.keys('rrm:lease:*')).length, 6, 'every camera leased');
  t.same(cameras.filter((camera) => !holdings().get('w1')!.has(camera)), [], 'by w1');
});

t.test('bad options throw at once, naming the option', async (t) => {
  const pipeline = demoPipeline();
  t.throws(() => redisWorkers('redis://127.0.0.1:1', { workerId: 'a b', pipeline }), /workerId "a b": expected 1-200 letters/);
  t.throws(() => redisWorkers('redis://127.0.0.1:1', { workerId: 'w', pipeline, cameras: 'cam[0-9]' }), /cameras "cam\[0-9\]": expected a camera name with \* and \? wildcards/);
  t.throws(() => redisWorkers('redis://127.0.0.1:1', { workerId: 'w', pipeline, leaseMs: 10 }), /leaseMs must be an integer ≥ 100, got 10/);
  t.throws(() => redisWorkers('redis://127.0.0.1:1', { workerId: 'w', pipeline: undefined as never }), /pipeline must be an operator/);
  t.throws(() => redisWorkers('tcp://x:1', { workerId: 'w', pipeline }), /protocol tcp: is not redis:/);
});

/** IDs of the entries of a camera's frames still pending in the workers' group. */
async function frameIdsPending(redis: Redis, camera: string): Promise<string[]> {
  const pending = (await redis.xpending(redisKeys.frames(camera), redisKeys.workerGroup, '-', '+', 100)) as [string, ...unknown[]][];
  return pending.map(([id]) => id);
}
