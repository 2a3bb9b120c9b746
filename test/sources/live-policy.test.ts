import t from 'tap';
import { Observable, lastValueFrom, toArray } from 'rxjs';
import { LiveDelivery, LiveFrameBuffer, liveBufferCapacity, type LiveFrame } from '../../src/sources/live-policy.js';
import { syntheticFrame } from './helpers.js';

t.test('a buffer keeps the newest frames and counts what it discarded', async (t) => {
  const latest = new LiveFrameBuffer(1);
  [0, 1, 2].forEach((i) => latest.offer(syntheticFrame(i)));
  t.same([latest.take()?.index, latest.take()], [2, undefined]);
  const queue = new LiveFrameBuffer(3);
  [0, 1, 2, 3, 4].forEach((i) => queue.offer(syntheticFrame(i)));
  t.same([queue.take(), queue.take(), queue.take()].map((frame) => [frame!.index, frame!.dropped]), [[2, 2], [3, 0], [4, 0]]);
});

t.test('options map to capacities or explain what is wrong', async (t) => {
  t.equal(liveBufferCapacity({}), 1, "'latest' by default");
  t.equal(liveBufferCapacity({ policy: 'queue' }), 8);
  t.equal(liveBufferCapacity({ policy: 'queue', queueSize: 3 }), 3);
  t.match(liveBufferCapacity({ policy: 'queue', queueSize: 0 }), /queueSize must be an integer ≥ 1/);
});

t.test('delivery: one frame per stream per turn, then the end after the buffered frames', async (t) => {
  const frames = await lastValueFrom(
    new Observable<LiveFrame>((subscriber) => {
      const delivery = new LiveDelivery(subscriber, 2);
      for (let i = 0; i < 3; i++) {
        delivery.offer('a', syntheticFrame(i));
        delivery.offer('b', syntheticFrame(10 + i));
      }
      delivery.end();
      return () => delivery.close();
    }).pipe(toArray()),
  );
  t.same(frames.map((frame) => [frame.index, frame.dropped]), [[1, 1], [11, 1], [2, 0], [12, 0]], 'streams interleave; each dropped its oldest');
});
