// Faults with real processes: 2 workers, 4 cameras at 10 fps, Redis with AOF (fsync always).
// In turn: a malformed entry (dead-lettered with its reason, the camera goes on); Redis killed and
// restarted mid-run (connections come back, nothing acknowledged is lost, nothing written twice);
// a worker stopped with SIGSTOP past its lease (its cameras move; when it wakes it writes nothing
// with its old leases and gets a fair share back). Then every camera passes the same checks as in
// the failover test: each frame's result exactly once, in order, keyframes exactly at hand-overs,
// outputs bit-identical to one process with those keyframes.
import { Redis } from 'ioredis';
import { Subject } from 'rxjs';
import t from 'tap';
import { redisKeys } from '../../src/sources/redis-keys.js';
import { REDIS_MISSING, startRedisServer } from '../helpers/redis-server.js';
import { cameraName } from '../helpers/redis/demo-pipeline.js';
import { checkCamera, waitFor } from '../helpers/redis/results.js';
import { publishCameras, WorkerPool } from '../helpers/redis/worker-pool.js';

const LEASE_MS = 2000;
const CAMERAS = 4;
const PHASE_TIMEOUT_MS = 60_000;

t.test('a malformed entry, a Redis restart and a stuck worker: nothing lost, nothing twice', { skip: REDIS_MISSING, timeout: 300_000 }, async (t) => {
  const server = await startRedisServer(t, { aof: true });
  const redis = new Redis(server.url, { maxRetriesPerRequest: null });
  redis.on('error', () => undefined);
  t.teardown(() => redis.disconnect());
  const pool = new WorkerPool(server.url, LEASE_MS, t);
  await Promise.all(['w1', 'w2'].map((id) => pool.start(id)));
  const cameras = Array.from({ length: CAMERAS }, (_, n) => cameraName(n));
  const stopPublishing = new Subject<void>();
  const publishing = publishCameras(server.url, CAMERAS, 10, stopPublishing);
  const resultCounts = () => Promise.all(cameras.map((camera) => redis.xlen(redisKeys.results(camera))));
  const moreResults = async (more: number) => {
    const before = await resultCounts();
    return waitFor(async () => (await resultCounts()).every((n, i) => n >= before[i]! + more), PHASE_TIMEOUT_MS);
  };
  t.ok(await waitFor(() => ['w1', 'w2'].every((w) => pool.holdings().get(w)?.size === 2), PHASE_TIMEOUT_MS), 'two cameras each');
  t.ok(await moreResults(5), 'results flow');

  // A malformed entry: dead-lettered with the reason, acknowledged, the camera goes on.
  const badId = await redis.xadd(redisKeys.frames(cameras[0]!), '*', 'header', 'RRMF but far too short', 'payload', 'x');
  t.ok(await waitFor(async () => (await redis.xlen(redisKeys.dead(cameras[0]!))) === 1, PHASE_TIMEOUT_MS), 'the malformed entry is in rrm:dead:<camera>');
  const [[deadId, deadFields]] = (await redis.xrange(redisKeys.dead(cameras[0]!), '-', '+')) as [[string, string[]]];
  t.equal(deadId, badId, 'under its own entry ID');
  t.match(deadFields.slice(0, 2), ['reason', /header field holds 22 bytes, expected 32/], 'with the reason');
  t.ok(await moreResults(5), 'every camera goes on');

  // Redis killed (kill -9) and restarted from its AOF: everyone reconnects and carries on.
  await server.stop(true);
  await new Promise((resolve) => setTimeout(resolve, 1000));
  await server.start();
  t.ok(await moreResults(10), 'results flow again after the restart');
  t.notOk(pool.events.some((e) => e.type === 'fatal'), 'no worker died');

  // w1 stopped (SIGSTOP) for longer than its lease: its cameras move to w2; woken, it gets its share back.
  const stuck = pool.workers.get('w1')!;
  const stuckCameras = [...pool.holdings().get('w1')!];
  const stoppedAt = Date.now();
  stuck.child.kill('SIGSTOP');
  const moved = await waitFor(() => stuckCameras.every((camera) => pool.ownerOf(camera) === 'w2'), PHASE_TIMEOUT_MS);
  const movedAfter = Math.max(...stuckCameras.map((camera) => pool.events.find((e) => e.camera === camera && e.worker === 'w2' && e.type === 'acquired' && e.at >= stoppedAt)?.at ?? Infinity)) - stoppedAt;
  t.ok(moved, `the stuck worker's cameras moved to w2 (${movedAfter} ms after SIGSTOP, lease ${LEASE_MS} ms)`);
  t.ok(await moreResults(10), 'and run there');
  stuck.child.kill('SIGCONT');
  const lostAt = Date.now();
  t.ok(await waitFor(() => stuckCameras.every((camera) => pool.events.some((e) => e.worker === 'w1' && e.camera === camera && e.type === 'lost' && e.at >= lostAt - 100)), PHASE_TIMEOUT_MS), 'woken, w1 learns it lost them');
  t.ok(await waitFor(() => ['w1', 'w2'].every((w) => pool.holdings().get(w)?.size === 2), PHASE_TIMEOUT_MS), 'and gets its fair share back');
  t.ok(await moreResults(10), 'results flow on both');

  const claimed = pool.events.filter((e) => e.type === 'claimed' && e.at >= stoppedAt).reduce((sum, e) => sum + (e.entryIds as string[]).length, 0);
  t.comment(`entries taken over with XAUTOCLAIM after SIGSTOP: ${claimed}`);
  stopPublishing.next();
  const published = await publishing;
  t.ok(await waitFor(async () => (await resultCounts()).every((n, i) => n === published[i]!.length), PHASE_TIMEOUT_MS), 'every published frame has a result');
  for (const [n, camera] of cameras.entries()) await checkCamera(t, redis, camera, published[n]!, n === 0 ? [badId!] : []);
  for (const worker of pool.workers.values()) worker.stop();
  await Promise.all([...pool.workers.values()].map((worker) => worker.exited));
});
