import t from 'tap';
import fc from 'fast-check';
import { lastValueFrom, take, toArray } from 'rxjs';
import { ReadableStream as PolyfillReadableStream } from 'web-streams-polyfill';
import { fromReadableStream } from '../../src/sources/readable-stream.js';
import { syntheticFrame } from './helpers.js';

type StreamClass = typeof ReadableStream;
const implementations: Array<[string, StreamClass]> = [
  ['native', ReadableStream],
  ['web-streams-polyfill', PolyfillReadableStream as unknown as StreamClass],
];

/** `bytes` as a stream of chunks of the given sizes in turn; records whether it was cancelled. */
function chunked(Stream: StreamClass, bytes: Uint8Array, sizes: number[]) {
  const state = { cancelled: false, pulls: 0 };
  let offset = 0;
  const stream = new Stream<Uint8Array>({
    pull(controller) {
      state.pulls++;
      if (offset >= bytes.length) return controller.close();
      const size = sizes[state.pulls % sizes.length]!;
      controller.enqueue(bytes.slice(offset, offset + size));
      offset += size;
    },
    cancel() {
      state.cancelled = true;
    },
  }, { highWaterMark: 0 });
  return { stream, state };
}

const layout = { width: 5, height: 3, channels: 3 as const };
const frames = [0, 1, 2, 3].map((index) => syntheticFrame(index, 5, 3, 3));
const bytes = Buffer.concat(frames.map((frame) => frame.data));

for (const [name, Stream] of implementations) {
  t.test(`${name}: frames split across chunk boundaries of any size`, async (t) => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 1, max: 70 }), { minLength: 1, maxLength: 6 }), async (sizes) => {
        const received = await lastValueFrom(fromReadableStream(chunked(Stream, bytes, sizes).stream, { ...layout, fps: 10 }).pipe(toArray()));
        return (
          received.length === 4 &&
          received.every((frame, i) => Buffer.from(frame.data).equals(Buffer.from(frames[i]!.data)) && frame.index === i && frame.timestamp === i * 100)
        );
      }),
      { numRuns: 150, seed: 7 },
    );
    t.pass('150 random chunkings');
  });

  t.test(`${name}: pulled, and cancelled on unsubscribe`, async (t) => {
    const { stream, state } = chunked(Stream, bytes, [15]);
    const first = await lastValueFrom(fromReadableStream(stream, layout).pipe(take(1), toArray()));
    t.equal(first.length, 1);
    t.equal(state.pulls, 3, 'read exactly the three 15-byte chunks of the one 45-byte frame consumed: nothing ahead');
    t.ok(state.cancelled, 'the stream was cancelled');
  });

  t.test(`${name}: a stream ending inside a frame is an error`, async (t) => {
    const { stream } = chunked(Stream, bytes.subarray(0, 100), [64]);
    const error = await lastValueFrom(fromReadableStream(stream, layout)).catch((e: Error) => e);
    t.match((error as Error).message, /stream ended inside frame 2: input ended after 10 of 45 expected bytes \(5×3×3\)/);
  });
}

t.test('an idle stream is cancelled at once, not at its next chunk', async (t) => {
  let cancelled = false;
  const idle = new ReadableStream<Uint8Array>({ pull: () => new Promise(() => undefined), cancel: () => void (cancelled = true) });
  const subscription = fromReadableStream(idle, layout).subscribe();
  await new Promise((resolve) => setTimeout(resolve, 20));
  subscription.unsubscribe();
  await new Promise((resolve) => setTimeout(resolve, 20));
  t.ok(cancelled);
});

t.test('invalid layouts and chunk types are reported', async (t) => {
  const error = await lastValueFrom(fromReadableStream(new ReadableStream(), { width: 0, height: 2, channels: 3 })).catch((e: Error) => e);
  t.match((error as Error).message, /invalid layout 0×2×3: expected positive integer sizes and 1, 3 or 4 channels/);
  const strings = new ReadableStream({ start: (controller) => controller.enqueue('text') }) as unknown as ReadableStream<Uint8Array>;
  const typeError = await lastValueFrom(fromReadableStream(strings, layout)).catch((e: Error) => e);
  t.match((typeError as Error).message, /expected the stream to yield Uint8Array chunks, got string/);
});
