// rx-rrm publish, serve and status as a user runs them: a clip published to Redis, a serve worker
// (a child process, stopped with SIGTERM) writing results equal bit for bit to model.pipeline()
// in one process over the same frames, status reporting what happened; publish pacing a file at
// its own rate, taking a live input byte for byte, and stopping cleanly on SIGINT; mistakes as one line.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { from, lastValueFrom, retry, Subject, toArray } from 'rxjs';
import t from 'tap';
import { loadOnnx } from '../../src/model/model.js';
import { sceneFrames } from '../../src/demo/scene.js';
import { decodeFrameEntry } from '../../src/sources/redis-entry.js';
import { redisKeys } from '../../src/sources/redis-keys.js';
import { toSocket } from '../../src/sources/socket.js';
import type { Frame } from '../../src/types.js';
import { cli } from '../helpers/run-cli.js';
import { ffmpeg } from '../helpers/ffmpeg.js';
import { buildModel, weights } from '../helpers/onnx-builder.js';
import { prng } from '../helpers/random.js';
import { freePort, REDIS_MISSING, startRedisServer } from '../helpers/redis-server.js';
import { jsonLines, spawnTypescript } from '../helpers/ts-child.js';
import { readResults, sameBits, waitFor } from '../helpers/redis/results.js';

const dir = mkdtempSync(join(tmpdir(), 'rx-rrm-redis-cli-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const random = prng(14);
const model = join(dir, 'small.onnx');
writeFileSync(
  model,
  buildModel({
    input: { name: 'image', dims: [1, 3, 48, 64] },
    outputs: ['logits'],
    nodes: [
      { op: 'Conv', inputs: ['image', 'w1', 'b1'], outputs: ['c1'], attributes: { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [2, 2] } },
      { op: 'Relu', inputs: ['c1'], outputs: ['r1'] },
      { op: 'GlobalAveragePool', inputs: ['r1'], outputs: ['pooled'] },
      { op: 'Flatten', inputs: ['pooled'], outputs: ['flat'] },
      { op: 'Gemm', inputs: ['flat', 'w2', 'b2'], outputs: ['logits'], attributes: { transB: 1 } },
    ],
    initializers: { w1: weights(random, [8, 3, 3, 3]), b1: weights(random, [8]), w2: weights(random, [5, 8]), b2: weights(random, [5]) },
  }),
);
const clip = join(dir, 'clip.mp4');
ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=size=128x96:rate=10:duration=3', '-pix_fmt', 'yuv420p', clip]);
const PREPROCESS = ['--mean', '127', '--scale', '0.0078125'];

t.test('publish, serve, status: every frame processed once, as model.pipeline() would', { skip: REDIS_MISSING, timeout: 180_000 }, async (t) => {
  const server = await startRedisServer(t);
  const redis = new Redis(server.url);
  t.teardown(() => redis.disconnect());
  const published = await cli('publish', '--redis', server.url, '--camera', 'door', '--input', clip, '--as-fast-as-possible', '--max-len', '1000');
  t.equal(published.status, 0, 'publish exits 0');
  t.match(published.stderr, /door: 30 frames/);
  t.equal(await redis.xlen(redisKeys.frames('door')), 30, 'the stream holds the clip');

  const serve = spawnTypescript(new URL('../../src/cli/main.ts', import.meta.url), ['serve', '--redis', server.url, '--model', model, '--worker-id', 'w1', '--lease-ms', '1000', ...PREPROCESS]);
  t.teardown(() => serve.kill('SIGKILL'));
  const exited = jsonLines(serve, () => undefined);
  t.ok(await waitFor(async () => (await redis.xlen(redisKeys.results('door'))) === 30, 120_000), 'serve wrote 30 results');
  const serving = await cli('status', '--redis', server.url, '--interval', '0');
  t.match(serving.stdout, /^door\s+w1 #1\s+0\s+0\s/m, 'status while serving: w1 holds door with token 1, nothing waiting');
  t.match(serving.stdout, /^1 live worker: w1\/[0-9a-f]+$/m);
  serve.kill('SIGTERM');
  const exit = await exited;
  t.equal(exit.code, 0, 'serve exits 0 on SIGTERM');
  t.match(exit.stderr, /took door \(token 1\)/);
  t.match(exit.stderr, /stopped: 30 results \(1 keyframes\); cameras given back/);
  t.equal(await redis.get(redisKeys.lease('door')), null, 'and gave the camera back');

  // The reference: the same model in this process over the frames as stored in Redis.
  const entries = (await redis.xrangeBuffer(redisKeys.frames('door'), '-', '+')) as [Buffer, Buffer[]][];
  const frames = entries.map(([, fields], i) => decodeFrameEntry(fields, i).frame);
  const onnx = await loadOnnx(model);
  const reference = await lastValueFrom(from(frames).pipe(onnx.pipeline({ preprocess: { mean: 127, scale: 0.0078125 } }), toArray()));
  const results = await readResults(redis, 'door');
  t.same(results.map((r) => r.id), entries.map(([id]) => id.toString()), 'one result per frame, under its entry ID, in order');
  t.ok(results.every((r, i) => sameBits(r.outputs.logits!.data, reference[i]!.outputs.logits!.data)), 'outputs bit-identical to model.pipeline() in one process');
  t.same(results[0]!.outputs.logits!.dims, reference[0]!.outputs.logits!.dims);
  t.ok(results.every((r) => r.layers.length > 0 && r.denseMacs > 0), 'with per-layer stats');

  const status = await cli('status', '--redis', server.url, '--interval', '0');
  t.equal(status.status, 0, status.stderr);
  t.match(status.stdout, /^camera\s+owner\s+lag\s+pending\s+fps\s+results\s+keyframes\s+dead\s+last result$/m);
  t.match(status.stdout, /^door\s+\(free\)\s+0\s+0\s+0\.0\s+30\s+1\s+0\s/m, 'door: free, nothing waiting, 30 results, 1 keyframe, none dead');
  t.match(status.stdout, /no live workers/);
  const json = JSON.parse((await cli('status', '--redis', server.url, '--interval', '0', '--json')).stdout) as { cameras: { camera: string; results: number; keyframes: number; lag: number; pending: number }[] };
  t.match(json.cameras, [{ camera: 'door', results: 30, keyframes: 1, lag: 0, pending: 0 }]);
});

t.test('publish plays a file at its own rate unless asked to hurry', { skip: REDIS_MISSING }, async (t) => {
  const server = await startRedisServer(t);
  const started = performance.now();
  const published = await cli('publish', '--redis', server.url, '--camera', 'paced', '--input', clip, '--max-frames', '10', '--size', '64x48');
  const elapsed = performance.now() - started;
  t.equal(published.status, 0, 'publish exits 0');
  t.ok(elapsed >= 850, `10 frames of a 10 fps clip took ${elapsed.toFixed(0)} ms (≥ 900 ms less timer slack)`);
  const redis = new Redis(server.url);
  t.teardown(() => redis.disconnect());
  const [[, fields]] = (await redis.xrangeBuffer(redisKeys.frames('paced'), '-', '+', 'COUNT', 1)) as [[Buffer, Buffer[]]];
  const frame = decodeFrameEntry(fields, 0).frame;
  t.same([frame.width, frame.height], [64, 48], '--size applies');
});

t.test('publish a live input (tcp-listen://): the frames sent, byte for byte', { skip: REDIS_MISSING }, async (t) => {
  const server = await startRedisServer(t);
  const port = await freePort();
  const frames = [...sceneFrames({ width: 40, height: 30, frames: 5, seed: 9 })];
  const publishing = cli('publish', '--redis', server.url, '--camera', 'live', '--input', `tcp-listen://127.0.0.1:${port}`, '--max-frames', '5');
  // Sent once publish listens (a refused connection is tried again).
  await lastValueFrom(from(frames).pipe(toSocket({ port }), retry({ count: 200, delay: 50 })));
  const published = await publishing;
  t.equal(published.status, 0, published.stderr);
  t.match(published.stderr, /live: 5 frames/);
  const redis = new Redis(server.url);
  t.teardown(() => redis.disconnect());
  const stored = ((await redis.xrangeBuffer(redisKeys.frames('live'), '-', '+')) as [Buffer, Buffer[]][]).map(([, fields], i) => decodeFrameEntry(fields, i).frame);
  t.same(stored.map((f) => [f.index, f.timestamp, f.width, f.height]), frames.map((f) => [f.index, f.timestamp, f.width, f.height]), 'index, time and size of each frame');
  t.ok(stored.every((f, i) => Buffer.from(f.data).equals(Buffer.from(frames[i]!.data))), 'pixels byte for byte');
});

t.test('publish stops on SIGINT: what it read is in Redis, exit 0', { skip: REDIS_MISSING, timeout: 120_000 }, async (t) => {
  const server = await startRedisServer(t);
  const port = await freePort();
  const child = spawnTypescript(new URL('../../src/cli/main.ts', import.meta.url), ['publish', '--redis', server.url, '--camera', 'cut', '--input', `tcp-listen://127.0.0.1:${port}`]);
  t.teardown(() => child.kill('SIGKILL'));
  const exited = jsonLines(child, () => undefined);
  // A sender that stays connected: the input never ends by itself.
  const sender = new Subject<Frame>();
  const sending = sender.pipe(toSocket({ port }), retry({ count: 1200, delay: 50 })).subscribe();
  t.teardown(() => sending.unsubscribe());
  const frames = [...sceneFrames({ width: 40, height: 30, frames: 3, seed: 4 })];
  const redis = new Redis(server.url);
  t.teardown(() => redis.disconnect());
  // Frames go out only once the connection is up (a sender serves from the frame after it connected).
  t.ok(await waitFor(async () => {
    sender.next(frames[0]!);
    return (await redis.xlen(redisKeys.frames('cut'))) > 0;
  }, 60_000), 'publish is up');
  for (const frame of frames.slice(1)) sender.next(frame);
  const newest = async () => {
    const [[, fields]] = (await redis.xrevrangeBuffer(redisKeys.frames('cut'), '+', '-', 'COUNT', 1)) as [[Buffer, Buffer[]]];
    return Buffer.from(decodeFrameEntry(fields, 0).frame.data);
  };
  t.ok(await waitFor(async () => (await newest()).equals(Buffer.from(frames[2]!.data)), 10_000), 'the frames sent are stored');
  child.kill('SIGINT');
  const exit = await exited;
  t.equal(exit.code, 0, 'exit 0');
  t.match(exit.stderr, new RegExp(`cut: ${await redis.xlen(redisKeys.frames('cut'))} frames`), 'it reports every frame it stored');
});

t.test('mistakes: one line, exit 1', async (t) => {
  // Threshold files as rx-rrm tune writes them: one in absolute units, one naming a layer the model lacks.
  const absoluteFile = join(dir, 'absolute.json');
  writeFileSync(absoluteFile, JSON.stringify({ thresholdMode: 'absolute', thresholds: {} }));
  const unknownLayerFile = join(dir, 'unknown-layer.json');
  writeFileSync(unknownLayerFile, JSON.stringify({ thresholds: { conv9: 0.01 } }));
  const cases: [string[], RegExp][] = [
    [['serve', '--model', model], /--redis is required/],
    [['serve', '--redis', 'redis://127.0.0.1:1', '--model', model, '--results', 'boxes'], /--results boxes: expected detections, outputs or both/],
    [['serve', '--redis', 'redis://127.0.0.1:1', '--model', model, '--results', 'detections'], /knows no decoder for this model's outputs \(logits\)/],
    [['serve', '--redis', 'redis://127.0.0.1:1', '--model', model, '--cameras', 'a/b'], /--cameras "a\/b": expected a camera name with \* and \? wildcards/],
    [['serve', '--redis', 'redis://127.0.0.1:1', '--model', model, '--thresholds', absoluteFile, '--threshold-mode', 'relative'], /--threshold-mode relative: .* holds absolute thresholds/],
    [['serve', '--redis', 'redis://127.0.0.1:1', '--model', model, '--thresholds', unknownLayerFile], /--thresholds names layers the model does not have: conv9/],
    [['publish', '--redis', 'redis://127.0.0.1:1', '--camera', 'a b', '--input', clip], /--camera "a b": expected 1-200 letters, digits/],
    [['publish', '--redis', 'http://127.0.0.1:1', '--camera', 'a', '--input', clip], /--redis Redis URL 'http:\/\/127.0.0.1:1': protocol http: is not redis:/],
    [['status', '--redis', 'redis://127.0.0.1:1', '--interval', '-1'], /--interval -1: expected seconds between 0 and 600/],
  ];
  for (const [args, message] of cases) {
    const { status, stderr } = await cli(...args);
    t.equal(status, 1, args.join(' '));
    t.match(stderr, message);
    t.equal(stderr.trim().split('\n').length, 1, 'one line');
  }
});

t.test('status on a server that is not there fails fast', async (t) => {
  const started = performance.now();
  const { status, stderr } = await cli('status', '--redis', 'redis://127.0.0.1:1');
  t.equal(status, 1);
  t.match(stderr, /cannot reach Redis at redis:\/\/127.0.0.1:1: connect ECONNREFUSED/);
  t.ok(performance.now() - started < 10_000, 'within seconds');
});
