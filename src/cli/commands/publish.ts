/** `rx-rrm publish`: a camera's frames into Redis (`rrm:frames:<camera>`) for `rx-rrm serve` workers. */
import { Subject, lastValueFrom, take, tap } from 'rxjs';
import { toRedisStream, type PublishedFrame } from '../../sources/redis-stream.js';
import type { Frame } from '../../types.js';
import { parseCommandArgs } from '../args.js';
import { openInput } from '../input.js';
import { INPUT_OPTIONS, inputOptions, optionalNumber, requireString } from '../model-options.js';
import { cameraOption, redisUrlOption } from '../redis-options.js';
import { untilInterrupted } from '../signals.js';

export const PUBLISH_USAGE = `rx-rrm publish --redis URL --camera NAME --input <video | image folder | camera[:device] | tcp://host:port | tcp-listen://host:port | ws://… | rtsp://…>
  appends the frames to the Redis stream rrm:frames:NAME, where rx-rrm serve workers read them
  --as-fast-as-possible                    files and folders: as fast as Redis takes them (default: at the
                                           video's own rate, as a camera would); live inputs run at their own rate
  --max-len N                              frames the stream keeps (default 100); Redis memory ≈ N × frame bytes
  --size WxH --stretch --fps F --start S --end S --max-frames N   as for run`;

const PUBLISH_OPTIONS = {
  ...INPUT_OPTIONS,
  redis: { type: 'string' },
  camera: { type: 'string' },
  'as-fast-as-possible': { type: 'boolean' },
  'max-len': { type: 'string' },
} as const;

/** Frames sent to Redis ahead of their replies while reading a file. */
const IN_FLIGHT = 4;
/** Frames a live input holds between two turns of the event loop (they are handed to toRedisStream's queue at once). */
const LIVE_QUEUE = 64;

export async function publishCommand(args: string[]): Promise<void> {
  const values = parseCommandArgs('publish', args, PUBLISH_OPTIONS, PUBLISH_USAGE);
  if (!values) return;
  const url = redisUrlOption(values);
  const camera = cameraOption(values);
  const spec = requireString(values, 'input', 'a video file, image folder, camera[:device] or a stream URL');
  const maxLen = optionalNumber(values, 'max-len', (n) => Number.isInteger(n) && n > 0, 'a positive whole number of frames') ?? 100;
  const maxFrames = optionalNumber(values, 'max-frames', (n) => Number.isInteger(n) && n > 0, 'a positive whole number') ?? Infinity;
  // Live inputs queue rather than keep the latest frame only: every frame received goes to Redis,
  // whose stream is the buffer the workers read from (toRedisStream drops the oldest past 64 MiB).
  const input = await openInput(spec, { ...inputOptions(values), live: { policy: 'queue', queueSize: LIVE_QUEUE } });
  const fast = values['as-fast-as-possible'] === true;

  const frames = new Subject<Frame>();
  let last: PublishedFrame | undefined;
  let published = 0;
  const started = performance.now();
  const report = () =>
    console.error(`rx-rrm publish: ${camera}: ${published} frames (${(published / Math.max(1e-3, (performance.now() - started) / 1000)).toFixed(1)} fps), ${last?.trimmed ?? 0} fell off the stream (max-len ${maxLen}), ${last?.dropped ?? 0} dropped waiting for Redis`);
  const progress = setInterval(report, 2000);
  const waiters: (() => void)[] = [];
  const done = lastValueFrom(
    frames.pipe(
      // Frames wait (up to 64 MiB, then the oldest go) while Redis is away; the connection is retried.
      toRedisStream(url, { camera, maxLen, onConnectionError: (error) => console.error(`rx-rrm publish: Redis: ${error.message}; retrying`) }),
      tap((frame) => {
        last = frame;
        published++;
        waiters.shift()?.();
      }),
    ),
    { defaultValue: undefined },
  );
  let failed = false;
  // A failed publisher must not leave the reading loop waiting for a reply that will not come.
  void done.catch(() => (failed = true)).finally(() => waiters.splice(0).forEach((wake) => wake()));
  console.error(`rx-rrm publish: ${input.description} to rrm:frames:${camera} on ${url}${input.pull && !fast ? ' at its own rate' : ''}`);
  const interrupted = untilInterrupted();
  try {
    if (input.pull) {
      let sent = 0;
      let firstTimestamp: number | undefined;
      const clockStart = performance.now();
      for await (const frame of input.pull()) {
        if (sent >= maxFrames || interrupted.happened || failed) break;
        firstTimestamp ??= frame.timestamp;
        const due = clockStart + frame.timestamp - firstTimestamp;
        if (!fast && due > performance.now()) await interrupted.sleep(due - performance.now());
        if (interrupted.happened) break;
        frames.next(frame);
        sent++;
        // Read ahead of Redis by a few frames only: a file is not loaded into memory.
        if (sent - published > IN_FLIGHT) await new Promise<void>((resolve) => waiters.push(resolve));
      }
      frames.complete();
    } else {
      const live = input.frames.pipe(take(maxFrames)).subscribe({ next: (frame) => frames.next(frame), error: (error) => frames.error(error), complete: () => frames.complete() });
      void interrupted.promise.then(() => {
        live.unsubscribe();
        frames.complete();
      });
    }
    await done;
  } finally {
    clearInterval(progress);
    interrupted.dispose();
  }
  report();
}
