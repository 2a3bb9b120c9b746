import t from 'tap';
import { lastValueFrom, take, tap, toArray } from 'rxjs';
import { fromCamera } from '../../src/sources/camera.js';
import { blockFor, sleep, waitUntilGone } from './helpers.js';

// No camera here: ffmpeg's testsrc at real-time rate (-re) stands in for the device.
const testCamera = (fps: number) => ['-re', '-f', 'lavfi', '-i', `testsrc=size=160x120:rate=${fps}`];

t.test('frames arrive at about the requested rate, at the requested size', async (t) => {
  let pid = 0;
  const arrivals: number[] = [];
  const frames = await lastValueFrom(
    // A queue absorbs scheduling jitter on a loaded machine, so a consumer that keeps up loses nothing.
    fromCamera({ input: testCamera(25), width: 80, height: 60, policy: 'queue', queueSize: 16, onProcess: (started) => (pid = started) }).pipe(
      tap(() => arrivals.push(performance.now())),
      take(41),
      toArray(),
    ),
  );
  t.same([frames[0]!.width, frames[0]!.height, frames[0]!.channels], [80, 60, 3]);
  // Frames after the first: ffmpeg may emit the first few in a burst while it starts.
  const rate = (arrivals.length - 6) / ((arrivals.at(-1)! - arrivals[5]!) / 1000);
  // Wide enough for a loaded CI machine, narrow enough to fail if frames were not paced (hundreds/s).
  t.ok(rate > 18 && rate < 32, `${rate.toFixed(1)} frames/s for a 25 fps camera`);
  t.same(frames.map((frame) => frame.dropped), frames.map(() => 0), 'a fast consumer loses nothing');
  t.same(frames.slice(0, 3).map((frame) => frame.timestamp), [0, 40, 80], 'presentation time of the device');
  t.ok(await waitUntilGone(pid), 'ffmpeg is gone after take()');
});

t.test("'latest' drops stale frames behind a slow consumer and says how many", async (t) => {
  let pid = 0;
  const frames = await lastValueFrom(
    fromCamera({ input: testCamera(50), pixelFormat: 'gray', onProcess: (started) => (pid = started) }).pipe(
      take(6),
      tap(() => blockFor(100)), // a 10 frames/s pipeline behind a 50 frames/s camera
      toArray(),
    ),
  );
  const dropped = frames.slice(1).map((frame) => frame.dropped);
  t.ok(dropped.every((count) => count >= 2), `dropped per frame: ${dropped.join(', ')}`);
  t.same(frames.slice(1).map((frame, i) => frame.index - frames[i]!.index - 1), dropped, 'index gaps equal the dropped counts');
  t.ok(await waitUntilGone(pid));
});

t.test("'queue' keeps a bounded backlog in order and counts the overflow", async (t) => {
  const frames = await lastValueFrom(
    fromCamera({ input: testCamera(50), policy: 'queue', queueSize: 4, pixelFormat: 'gray' }).pipe(
      take(6),
      tap((frame) => frame.index === 0 && blockFor(300)), // one stall of ~15 frames, then a fast pipeline
      toArray(),
    ),
  );
  const overflow = frames.reduce((total, frame) => total + frame.dropped, 0);
  t.ok(overflow >= 5, `${overflow} frames overflowed the queue of 4 during the stall`);
  // Exact accounting however the frames were timed: each gap in index is what was reported dropped.
  t.same(frames.slice(1).map((frame, i) => frame.index - frames[i]!.index - 1), frames.slice(1).map((frame) => frame.dropped));
  t.ok(frames.slice(2).some((frame) => frame.dropped === 0), 'after the stall, queued frames arrive without new losses');
});

t.test('errors: device failures, bad options, unsubscribe kills the process', async (t) => {
  const missing = await lastValueFrom(fromCamera({ device: '/dev/no-such-camera' })).catch((e: Error) => e);
  t.match((missing as Error).message, /ffmpeg could not decode camera "\/dev\/no-such-camera" .*No such file or directory/);
  const policy = await lastValueFrom(fromCamera({ input: testCamera(25), policy: 'newest' as 'latest' })).catch((e: Error) => e);
  t.match((policy as Error).message, /unknown policy 'newest': expected 'latest' or 'queue'/);
  const size = await lastValueFrom(fromCamera({ input: testCamera(25), queueSize: 0, policy: 'queue' })).catch((e: Error) => e);
  t.match((size as Error).message, /queueSize must be an integer ≥ 1, got 0/);

  let pid = 0;
  const subscription = fromCamera({ input: testCamera(25), onProcess: (started) => (pid = started) }).subscribe();
  while (pid === 0) await sleep(10);
  subscription.unsubscribe();
  t.ok(await waitUntilGone(pid), 'gone after unsubscribe');
});
