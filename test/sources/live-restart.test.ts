// Live sources come back: a camera or network stream whose decoder dies or stalls is restarted with
// backoff, the next frame is a keyframe, `reconnects` counts the restarts, and only the frames of
// the outage are lost.
import { createServer, type Server, type Socket } from 'node:net';
import { lastValueFrom, takeWhile, toArray } from 'rxjs';
import t from 'tap';
import { fromNetworkStream } from '../../src/sources/network-stream.js';
import { fromCamera } from '../../src/sources/camera.js';
import { restartBackoff } from '../../src/sources/live-decoder.js';
import type { LiveFrame } from '../../src/sources/live-policy.js';
import { sleep } from './helpers.js';

const WIDTH = 32;
const HEIGHT = 24;
const FRAME_MS = 40;

/** Frame `n` of the stand-in camera: every byte `n & 0xff`, the first two bytes `n` (16 bits). */
function cameraFrame(n: number): Buffer {
  const frame = Buffer.alloc(WIDTH * HEIGHT, n & 0xff);
  frame.writeUInt16BE(n, 0);
  return frame;
}
const counterOf = (frame: LiveFrame) => (frame.data[0]! << 8) | frame.data[1]!;

/**
 * A camera on a TCP port, as raw gray frames at 25 frames/s on a clock of its own: frame n is due
 * at n·40 ms whether or not a decoder is connected, so frames due while none is are the outage.
 * `written` records every frame handed to a connected socket.
 */
class TcpCamera {
  readonly written = new Set<number>();
  private server: Server | undefined;
  private client: Socket | undefined;
  private next = 0;
  private readonly clock: ReturnType<typeof setInterval>;
  private paused = false;
  port = 0;

  constructor() {
    this.clock = setInterval(() => this.tick(), FRAME_MS);
  }

  async listen(port = 0): Promise<number> {
    this.server = createServer((socket) => {
      socket.on('error', () => undefined);
      this.client = socket;
    });
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
    return this.port;
  }

  /** The camera goes away: the connection ends after a whole frame, the port refuses connections. */
  async unplug(): Promise<void> {
    this.client?.end();
    this.client = undefined;
    await new Promise((resolve) => this.server!.close(resolve));
  }

  /** Keeps the connection but sends nothing (a stall). */
  stall(stalled: boolean): void {
    this.paused = stalled;
  }

  get frameNumber(): number {
    return this.next;
  }

  stop(): void {
    clearInterval(this.clock);
    this.client?.destroy();
    this.server?.close();
  }

  private tick(): void {
    const n = this.next++;
    if (!this.client || this.paused || this.client.destroyed) return;
    this.written.add(n);
    this.client.write(cameraFrame(n));
  }
}

const rawInput = ['-f', 'rawvideo', '-pix_fmt', 'gray', '-video_size', `${WIDTH}x${HEIGHT}`, '-framerate', '25'];

t.test('backoff follows 0.5 s, 1 s, 2 s ... up to 10 s', async (t) => {
  t.same([1, 2, 3, 4, 5, 6, 9].map(restartBackoff), [500, 1000, 2000, 4000, 8000, 10000, 10000]);
});

t.test('a network stream whose camera is unplugged for a second comes back, losing only the frames of the outage', async (t) => {
  const camera = new TcpCamera();
  const port = await camera.listen();
  const restarts: string[] = [];
  let unplugged = false;
  const frames = lastValueFrom(
    fromNetworkStream(`tcp://127.0.0.1:${port}`, {
      inputOptions: rawInput,
      pixelFormat: 'gray',
      policy: 'queue',
      queueSize: 1000,
      retry: { count: 20, delay: 200 },
      onRestart: (error, restart) => restarts.push(`${restart}: ${error.message}`),
    }).pipe(
      takeWhile((frame) => counterOf(frame) < camera.frameNumber && camera.frameNumber < 140, true),
      toArray(),
    ),
  );
  await sleep(FRAME_MS * 40);
  await camera.unplug();
  unplugged = true;
  const outageStart = camera.frameNumber;
  await sleep(1000);
  await camera.listen(port);
  const received = await frames;
  camera.stop();
  t.ok(unplugged);
  const counters = received.map(counterOf);
  const written = [...camera.written].filter((n) => n <= Math.max(...counters));
  t.same(counters, written, 'every frame sent to a connected decoder arrived, in order: only the outage is missing');
  const firstAfter = received.findIndex((frame) => counterOf(frame) > outageStart);
  t.ok(firstAfter > 0, `frames resumed after the outage (from frame ${counterOf(received[firstAfter]!)}; ${counterOf(received[firstAfter]!) - outageStart} frames lost)`);
  t.equal(received[firstAfter]!.keyframe, true, 'the first frame after the restart is a keyframe');
  t.same(received.slice(0, firstAfter).map((f) => f.reconnects), received.slice(0, firstAfter).map(() => 0));
  t.same(new Set(received.slice(firstAfter).map((f) => f.reconnects)), new Set([1]), 'one reconnection, counted in every later frame');
  t.same(received.map((f) => f.index), received.map((_, k) => k), 'index keeps counting across restarts');
  t.ok(restarts.length >= 1, `restarts reported: ${restarts.join('; ')}`);
});

t.test('a stalled stream is restarted after idleTimeoutMs', async (t) => {
  const camera = new TcpCamera();
  const port = await camera.listen();
  const received: LiveFrame[] = [];
  const subscription = fromNetworkStream(`tcp://127.0.0.1:${port}`, {
    inputOptions: rawInput,
    pixelFormat: 'gray',
    policy: 'queue',
    queueSize: 1000,
    idleTimeoutMs: 400,
    retry: { count: 5, delay: 100 },
    onRestart: () => undefined,
  }).subscribe((frame) => received.push(frame));
  await sleep(FRAME_MS * 20);
  camera.stall(true);
  await sleep(900);
  camera.stall(false);
  const deadline = Date.now() + 5000;
  while (!received.some((f) => (f.reconnects ?? 0) >= 1) && Date.now() < deadline) await sleep(20);
  subscription.unsubscribe();
  camera.stop();
  const restarted = received.find((f) => (f.reconnects ?? 0) >= 1);
  t.ok(restarted, 'frames came again after the stall, from a restarted decoder');
  t.equal(restarted?.keyframe, true);
});

t.test('a decoder that never works errors at once by default; retry options follow RxJS', async (t) => {
  const started = Date.now();
  const refused = await lastValueFrom(fromNetworkStream('tcp://127.0.0.1:9', { inputOptions: rawInput })).catch((e: Error) => e);
  t.match((refused as Error).message, /ffmpeg could not decode stream "tcp:\/\/127.0.0.1:9"/);
  t.ok(Date.now() - started < 3000, 'no retries when it never delivered a frame');
  const restarts: number[] = [];
  const retried = await lastValueFrom(fromNetworkStream('tcp://127.0.0.1:9', { inputOptions: rawInput, retry: { count: 2, delay: 50 }, onRestart: (_e, n) => restarts.push(n) })).catch((e: Error) => e);
  t.match((retried as Error).message, /could not decode/);
  t.same(restarts, [1, 2], 'an explicit retry config is followed from the first failure: count 2, then the error');
  for (const [options, message] of [
    [{ retry: { count: -1 } }, /retry count must be an integer ≥ 0 or Infinity, got -1/],
    [{ idleTimeoutMs: 0 }, /idleTimeoutMs must be a number of milliseconds > 0/],
  ] as const) {
    const error = await lastValueFrom(fromCamera({ input: ['-f', 'lavfi', '-i', 'testsrc'], ...options })).catch((e: Error) => e);
    t.match((error as Error).message, message);
  }
  const badUrl = await lastValueFrom(fromNetworkStream('not a url')).catch((e: Error) => e);
  t.match((badUrl as Error).message, /fromNetworkStream: expected an ffmpeg URL such as rtsp:\/\/host\/path/);
});
