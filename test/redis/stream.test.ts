// toRedisStream and fromRedisStream against a real redis-server: frames arrive byte for byte with
// their fields, MAXLEN trims and the trimmed frames are counted on both sides, the `latest` policy
// skips to the newest entry, a malformed entry is dead-lettered, and unsubscribing closes the connection.
import { Redis } from 'ioredis';
import { spawnSync } from 'node:child_process';
import { firstValueFrom, from, lastValueFrom, take, tap, toArray } from 'rxjs';
import t, { type Test } from 'tap';
import { sceneFrames } from '../../src/demo/scene.js';
import { fromRedisStream, toRedisStream, type RedisFrame } from '../../src/sources/redis-stream.js';
import { frameEntryFields } from '../../src/sources/redis-entry.js';
import { ensureGroup } from '../../src/sources/redis-read.js';
import type { Frame } from '../../src/types.js';
import { REDIS_MISSING, startRedisServer } from '../helpers/redis-server.js';
import { parseStreamId } from '../../src/sources/redis-stream-id.js';

/** Frames of every pixel format, odd sizes, fractional timestamps, keyframe flags. */
function mixedFrames(): Frame[] {
  const scene = [...sceneFrames({ width: 64, height: 48, frames: 6, seed: 3 })];
  const gray: Frame = { data: Uint8Array.from({ length: 7 * 5 }, (_, i) => (i * 37) & 0xff), width: 7, height: 5, channels: 1, index: 6, timestamp: 1234.5678, keyframe: true };
  const rgba: Frame = { data: Uint8Array.from({ length: 3 * 9 * 4 }, (_, i) => (i * 11 + 5) & 0xff), width: 3, height: 9, channels: 4, index: 7, timestamp: -0.25 };
  return [...scene, gray, rgba];
}

function sameFrame(t: Test, got: RedisFrame, want: Frame, message: string): void {
  t.same(
    { width: got.width, height: got.height, channels: got.channels, index: got.index, timestamp: got.timestamp, keyframe: got.keyframe ?? false },
    { width: want.width, height: want.height, channels: want.channels, index: want.index, timestamp: want.timestamp, keyframe: want.keyframe ?? false },
    `${message}: fields`,
  );
  t.ok(Buffer.from(got.data).equals(Buffer.from(want.data)), `${message}: pixels byte for byte`);
}

t.test('round trip: every frame arrives byte for byte, with its fields and entry ID', { skip: REDIS_MISSING }, async (t) => {
  const server = await startRedisServer(t);
  const frames = mixedFrames();
  const published = await lastValueFrom(from(frames).pipe(toRedisStream(server.url, { camera: 'lobby', maxLen: 1000 }), toArray()));
  t.equal(published.length, frames.length);
  // Compared as (ms, seq) numbers: as strings '…001-0' < '…000-10' would pass for a decrease.
  const ids = published.map((p) => parseStreamId(p.entryId));
  t.ok(ids.every((id, i) => i === 0 || id.ms > ids[i - 1]!.ms || (id.ms === ids[i - 1]!.ms && id.seq > ids[i - 1]!.seq)), 'entry IDs increase');
  const received = await lastValueFrom(fromRedisStream(server.url, { camera: 'lobby', group: 'g', consumer: 'c', policy: 'queue' }).pipe(take(frames.length), toArray()));
  received.forEach((got, i) => {
    sameFrame(t, got, frames[i]!, `frame ${i}`);
    t.equal(got.entryId, published[i]!.entryId, `frame ${i}: entry ID`);
    t.equal(got.dropped, 0);
    t.equal(got.camera, 'lobby');
  });
  const probe = new Redis(server.url);
  t.teardown(() => probe.disconnect());
  const pending = (await probe.xpending('rrm:frames:lobby', 'g')) as [number, ...unknown[]];
  t.equal(pending[0], 0, 'every delivered frame was acknowledged');
});

t.test('MAXLEN trims old frames; both sides count them', { skip: REDIS_MISSING }, async (t) => {
  const server = await startRedisServer(t);
  const probe = new Redis(server.url);
  t.teardown(() => probe.disconnect());
  // 64x48 RGB frames (9 KB) are larger than a stream node's 4 KB, so `MAXLEN ~ 5` trims exactly.
  const frames = [...sceneFrames({ width: 64, height: 48, frames: 30, seed: 5 })];
  await ensureGroup(probe, 'rrm:frames:door', 'g');
  // The reader is parked in its subscriber's `next` (a pulled source reads on only when it returns)
  // while another process appends 28 more frames of the same publisher: 25 fall off unread.
  const publisher = 'p1';
  const entries = frames.map((frame, seq) => frameEntryFields(frame, publisher, seq).map((v) => (typeof v === 'string' ? v : v.toString('base64'))));
  const append = (from: number, to: number) => {
    const script = `import { Redis } from 'ioredis';
      const r = new Redis(${JSON.stringify(server.url)});
      const chunks = []; for await (const c of process.stdin) chunks.push(c);
      const entries = JSON.parse(Buffer.concat(chunks).toString());
      for (const e of entries) await r.xadd('rrm:frames:door', 'MAXLEN', '~', 5, '*', ...e.map((v, i) => (i % 2 && (e[i - 1] === 'header' || e[i - 1] === 'payload') ? Buffer.from(v, 'base64') : v)));
      r.disconnect();`;
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { input: JSON.stringify(entries.slice(from, to)), encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`appending failed: ${result.error?.message ?? result.stderr}`);
  };
  append(0, 2);
  const received: RedisFrame[] = [];
  await lastValueFrom(
    fromRedisStream(server.url, { camera: 'door', group: 'g', consumer: 'c', policy: 'queue', queueSize: 1 }).pipe(
      tap((frame) => {
        received.push(frame);
        if (frame.index === 1) append(2, 30);
      }),
      take(7),
    ),
  );
  t.equal(await probe.xlen('rrm:frames:door'), 5, 'the stream holds maxLen frames');
  const late = received.slice(2);
  t.same(received.slice(0, 2).map((f) => f.index), [0, 1]);
  t.same(late.map((f) => f.index), [25, 26, 27, 28, 29], 'the reader gets what is left, in order');
  t.equal(late[0]!.dropped, 23, 'the first after the gap counts the frames that fell off unread');
  t.same(late.slice(1).map((f) => f.dropped), [0, 0, 0, 0]);
});

t.test('the publisher counts the frames that fell off its stream', { skip: REDIS_MISSING }, async (t) => {
  const server = await startRedisServer(t);
  const frames = [...sceneFrames({ width: 64, height: 48, frames: 30, seed: 5 })];
  const published = await lastValueFrom(from(frames).pipe(toRedisStream(server.url, { camera: 'door', maxLen: 5 }), toArray()));
  t.same(published.map((p) => p.trimmed), frames.map((_, i) => Math.max(0, i + 1 - 5)), 'each append past maxLen trims one frame');
});

t.test("policy 'latest' skips to the newest waiting frame and counts the skipped ones", { skip: REDIS_MISSING }, async (t) => {
  const server = await startRedisServer(t);
  const frames = [...sceneFrames({ width: 32, height: 24, frames: 10, seed: 9 })];
  await lastValueFrom(from(frames).pipe(toRedisStream(server.url, { camera: 'yard' })));
  const first = await firstValueFrom(fromRedisStream(server.url, { camera: 'yard', group: 'g', consumer: 'c', policy: 'latest' }));
  t.equal(first.index, 9, 'the newest frame');
  t.equal(first.dropped, 9, 'nine skipped');
  sameFrame(t, first, frames[9]!, 'newest');
  const probe = new Redis(server.url);
  t.teardown(() => probe.disconnect());
  const pending = (await probe.xpending('rrm:frames:yard', 'g')) as [number, ...unknown[]];
  t.equal(pending[0], 0, 'skipped frames are not left pending');
});

t.test('a malformed entry goes to rrm:dead:<camera> with the reason; the reader goes on', { skip: REDIS_MISSING }, async (t) => {
  const server = await startRedisServer(t);
  const probe = new Redis(server.url);
  t.teardown(() => probe.disconnect());
  const [good] = [...sceneFrames({ width: 16, height: 8, frames: 1 })];
  await probe.xadd('rrm:frames:gate', '*', 'header', Buffer.from('not a header'), 'payload', Buffer.alloc(4));
  await lastValueFrom(from([good!]).pipe(toRedisStream(server.url, { camera: 'gate' })));
  const warnings: string[] = [];
  const frame = await firstValueFrom(fromRedisStream(server.url, { camera: 'gate', group: 'g', consumer: 'c', policy: 'queue', onMalformed: (e) => warnings.push(e.message) }));
  sameFrame(t, frame, good!, 'the good frame after the bad entry');
  t.match(warnings, [/header field holds 12 bytes, expected 32/]);
  const dead = await probe.xrange('rrm:frames:gate'.replace('frames', 'dead'), '-', '+');
  t.equal(dead.length, 1);
  t.match(dead[0]![1].slice(0, 2), ['reason', /header field holds 12 bytes/]);
});

t.test('bad options throw at once, naming the option', async (t) => {
  t.throws(() => toRedisStream('redis://127.0.0.1:1', { camera: 'a b' }), /camera "a b": expected 1-200 letters/);
  t.throws(() => toRedisStream('http://x', { camera: 'a' }), /protocol http: is not redis:/);
  t.throws(() => toRedisStream('redis://127.0.0.1:1', { camera: 'a', maxLen: 0 }), /maxLen must be an integer ≥ 1, got 0/);
  t.throws(() => fromRedisStream('redis://127.0.0.1:1', { camera: 'a', group: '', consumer: 'c' }), /group "": expected a consumer group name/);
  t.throws(() => fromRedisStream('redis://127.0.0.1:1', { camera: 'a', group: 'g', consumer: 'c', policy: 'newest' as 'latest' }), /unknown policy 'newest'/);
});

t.test('unsubscribing closes the connection', { skip: REDIS_MISSING }, async (t) => {
  const server = await startRedisServer(t);
  const probe = new Redis(server.url);
  t.teardown(() => probe.disconnect());
  const clients = async () => String(await probe.client('LIST')).trim().split('\n').length;
  const before = await clients();
  const subscription = fromRedisStream(server.url, { camera: 'idle', group: 'g', consumer: 'c' }).subscribe();
  const deadline = Date.now() + 10_000;
  while ((await clients()) === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  t.equal(await clients(), before + 1, 'the reader connected');
  subscription.unsubscribe();
  while ((await clients()) > before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  t.equal(await clients(), before, 'and is gone after unsubscribe');
});
