// Failover with real processes: 3 workers, 12 simulated cameras at 10 fps (generated scenes with
// moving objects), the demo network at τ = 0. One worker is killed with SIGKILL mid-run, then a
// fourth starts. Afterwards every camera's result stream holds every frame's entry ID exactly
// once, in order; a keyframe exactly where the camera changed hands (a new fencing token); the
// outputs equal, bit for bit, a single-process run over the same frames with keyframes at the same
// places (and, at τ = 0, the uninterrupted run up to float rounding); the dead worker's cameras
// moved within the lease time; and the fourth worker got its fair share within two lease periods.
import { Redis } from 'ioredis';
import { Subject } from 'rxjs';
import t from 'tap';
import { redisKeys } from '../../src/sources/redis-keys.js';
import { REDIS_MISSING, startRedisServer } from '../helpers/redis-server.js';
import { cameraName } from '../helpers/redis/demo-pipeline.js';
import { checkCamera, readResults, waitFor } from '../helpers/redis/results.js';
import { publishCameras, WorkerPool } from '../helpers/redis/worker-pool.js';

const LEASE_MS = 2000;
const TICK_MS = LEASE_MS / 4;
const CAMERAS = 12;
const FPS = 10;
/** Generous: the machine is shared; waits end as soon as their condition holds. */
const PHASE_TIMEOUT_MS = 60_000;

t.test('kill -9 a worker, start another: nothing lost, nothing twice, one keyframe per move', { skip: REDIS_MISSING, timeout: 300_000 }, async (t) => {
  const server = await startRedisServer(t);
  const redis = new Redis(server.url);
  t.teardown(() => redis.disconnect());
  const pool = new WorkerPool(server.url, LEASE_MS, t);
  await Promise.all(['w1', 'w2', 'w3'].map((id) => pool.start(id)));
  const cameras = Array.from({ length: CAMERAS }, (_, n) => cameraName(n));
  const stopPublishing = new Subject<void>();
  const publishing = publishCameras(server.url, CAMERAS, FPS, stopPublishing);
  const resultCounts = () => Promise.all(cameras.map((camera) => redis.xlen(redisKeys.results(camera))));

  // Phase 1: all three share the cameras, 4 each, and results flow for every camera.
  const shared = await waitFor(async () => {
    const held = pool.holdings();
    return ['w1', 'w2', 'w3'].every((w) => held.get(w)?.size === 4) && (await resultCounts()).every((n) => n >= 5);
  }, PHASE_TIMEOUT_MS);
  t.ok(shared, 'three workers hold 4 cameras each and every camera has results');

  // Phase 2: kill -9 w1; its cameras move to w2 and w3.
  const victim = pool.workers.get('w1')!;
  const orphans = [...pool.holdings().get('w1')!];
  const killedAt = Date.now();
  victim.child.kill('SIGKILL');
  await victim.exited;
  const moved = await waitFor(() => orphans.every((camera) => pool.ownerOf(camera) !== 'w1'), PHASE_TIMEOUT_MS);
  t.ok(moved, `w1's cameras (${orphans.join(', ')}) moved`);
  const moveTimes = orphans.map((camera) => pool.events.find((e) => e.camera === camera && e.type === 'acquired' && e.at >= killedAt)!.at - killedAt);
  // The lease was renewed at most one tick before the kill; a peer notices at its next tick after expiry.
  t.ok(Math.max(...moveTimes) <= LEASE_MS + 2 * TICK_MS, `moved within the lease time (+ the renewal period to notice): ${Math.min(...moveTimes)}-${Math.max(...moveTimes)} ms after kill -9, lease ${LEASE_MS} ms`);
  const firstMovedResult = await waitFor(async () => {
    const results = await Promise.all(orphans.map((camera) => readResults(redis, camera)));
    return results.every((list) => list.some((r) => r.worker !== 'w1' && r.keyframe));
  }, PHASE_TIMEOUT_MS);
  t.ok(firstMovedResult, 'every moved camera has results from its new owner');
  const afterKill = pool.holdings();
  t.same([afterKill.get('w2')?.size, afterKill.get('w3')?.size], [6, 6], 'the survivors share the 12 cameras, 6 each');

  // Phase 3: a fourth worker joins and gets its fair share (12 / 3 = 4) within two lease periods.
  const w4 = await pool.start('w4');
  const joinedAt = pool.events.find((e) => e.worker === w4.id && e.type === 'started')!.at;
  const rebalanced = await waitFor(() => {
    const held = pool.holdings();
    return ['w2', 'w3', 'w4'].every((w) => held.get(w)?.size === 4);
  }, PHASE_TIMEOUT_MS);
  const balancedAt = Math.max(...pool.events.filter((e) => e.type === 'acquired' && e.worker === 'w4').map((e) => e.at));
  t.ok(rebalanced, 'w2, w3 and w4 hold 4 cameras each');
  t.ok(balancedAt - joinedAt <= 2 * LEASE_MS, `fair share within two lease periods: ${balancedAt - joinedAt} ms after w4 started (lease ${LEASE_MS} ms)`);

  // A few more seconds of frames on the new owners, then stop publishing and let the workers finish.
  const countsAtJoin = await resultCounts();
  await waitFor(async () => (await resultCounts()).every((n, i) => n >= countsAtJoin[i]! + 10), PHASE_TIMEOUT_MS);
  stopPublishing.next();
  const published = await publishing;
  const finished = await waitFor(async () => (await resultCounts()).every((n, i) => n === published[i]!.length), PHASE_TIMEOUT_MS);
  t.ok(finished, 'every published frame has a result');

  let moves = 0;
  for (const [n, camera] of cameras.entries()) moves += await checkCamera(t, redis, camera, published[n]!);
  const claimed = pool.events.filter((e) => e.type === 'claimed' && e.at >= killedAt).reduce((sum, e) => sum + (e.entryIds as string[]).length, 0);
  t.comment(`entries taken over with XAUTOCLAIM after the kill: ${claimed}`);
  t.ok(moves >= orphans.length + 3, `the cameras moved ${moves} times (w1's ${orphans.length} after the kill, ≥ 3 to w4), each with one keyframe`);
  for (const worker of pool.workers.values()) if (worker.child.exitCode === null && worker.child.signalCode === null) worker.stop();
  await Promise.all([...pool.workers.values()].map((worker) => worker.exited));
  t.same(await redis.keys('rrm:lease:*'), [], 'the workers released every camera when stopped');
});
