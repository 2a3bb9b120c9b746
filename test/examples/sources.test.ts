// The examples that read a video file, a camera or a socket, run as a user runs them.
import { join } from 'node:path';
import t from 'tap';
import { generateClip } from '../helpers/ffmpeg.js';
import { runExample, startExample } from '../helpers/examples.js';
import { modelPath, needsSharedData, videoPath } from '../helpers/shared-data.js';
import { tempDir } from '../sources/helpers.js';

const dir = tempDir(t);
const clip = generateClip(join(dir, 'clip.mp4'), { frames: 40, codecArgs: ['-c:v', 'libx264', '-pix_fmt', 'yuv420p'] });

t.test('video-stats prints per-frame change statistics', async (t) => {
  const result = runExample('video-stats', [clip, '--every', '10']);
  t.equal(result.status, 0, result.stderr);
  t.match(result.stdout, /frame\s+0\s+t=0\.000s\s+224x168\s+changed 100\.00%/);
  t.match(result.stdout, /frame\s+30\s+t=1\.200s/);
  t.match(result.stdout, /40 frames; pixels changed by more than 8 levels per frame: median [\d.]+%, p90 [\d.]+%/);
  const missing = runExample('video-stats', [join(dir, 'none.mp4')]);
  t.equal(missing.status, 2);
  t.match(missing.stderr, /video-stats: no video at .*none\.mp4: pass one/);
});

t.test('camera, with ffmpeg test pattern standing in for the device', async (t) => {
  const result = runExample('camera', ['--test-pattern', '--frames', '15']);
  t.equal(result.status, 0, result.stderr);
  t.match(result.stdout, /frame \d+: [\d.]+% of pixels changed, rx-rrm did [\d.]+% of the dense multiply-adds/);
  t.match(result.stdout, /15 frames from the camera/);
});

t.test('socket-sender streams a file to socket-receiver, which processes it per stream', async (t) => {
  // A queue rather than 'latest', so that a loaded machine cannot make the receiver miss frames and wait forever.
  const receiver = startExample('socket-receiver', ['--port', '0', '--queue', '64', '--frames', '40']);
  t.teardown(() => receiver.kill());
  let received = '';
  receiver.stdout!.on('data', (chunk: Buffer) => (received += chunk.toString()));
  const port = await new Promise<string>((resolve, reject) => {
    receiver.stdout!.on('data', () => {
      const listening = /listening on [\d.]+:(\d+)/.exec(received);
      if (listening) resolve(listening[1]!);
    });
    receiver.once('exit', () => reject(new Error(`receiver exited early: ${received}`)));
  });
  const sender = runExample('socket-sender', [clip, '--port', port, '--stream', '7', '--width', '160']);
  t.equal(sender.status, 0, sender.stderr);
  t.match(sender.stdout, /sent frame 0 .* as stream 7 to 127\.0\.0\.1:\d+[\s\S]*all frames sent/);
  const exitCode = await new Promise((resolve) => {
    if (receiver.exitCode !== null) return resolve(receiver.exitCode);
    receiver.once('exit', resolve);
    setTimeout(() => resolve('still running 30 s after the sender finished'), 30_000).unref();
  });
  t.equal(exitCode, 0);
  t.match(received, /sender 0 connected/);
  t.match(received, /stream 0:7 frame 0: 160x120, 100\.0% of pixels changed, rx-rrm did 100\.0% of the dense multiply-adds/);
  t.match(received, /stream 0:7 frame 25: 160x120, [\d.]+% of pixels changed, rx-rrm did [\d.]+% of the dense multiply-adds/);
  t.match(received, /received 40 frames/);
});

const model = modelPath('ultraface-slim-320.onnx');
const person = videoPath('one-by-one-person-detection.mp4');
t.test('face-detection on the real model and clip, by default paths', { skip: needsSharedData(model, person) }, async (t) => {
  const result = runExample('face-detection', ['--frames', '10']);
  t.equal(result.status, 0, result.stderr);
  t.match(result.stdout, /frame 9: \d+ faces?[\s\S]*10 frames: rx-rrm [\d.]+ ms\/frame, dense path [\d.]+ ms\/frame, speed-up [\d.]+x/);
});

t.test('face-detection says what is missing', async (t) => {
  const result = runExample('face-detection', [clip, '--model', join(dir, 'none.onnx')]);
  t.equal(result.status, 2);
  t.match(result.stderr, /face-detection: no model at .*none\.onnx: pass one/);
});
