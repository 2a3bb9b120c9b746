// The source examples run end to end as a user runs them: video-stats on a clip, and a sender
// process streaming to a receiver process over TCP.
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateClip, tempDir } from './helpers.js';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const runExample = ['scripts/run-example.mjs'];
const dir = tempDir(t);
const clip = generateClip(join(dir, 'clip.mp4'), { frames: 40, codecArgs: ['-c:v', 'libx264', '-pix_fmt', 'yuv420p'] });

t.test('video-stats prints per-frame change statistics', async (t) => {
  const result = spawnSync(process.execPath, [...runExample, 'video-stats', clip, '--every', '10'], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 120_000 });
  t.equal(result.status, 0, result.stderr);
  t.match(result.stdout, /frame\s+0\s+t=0\.000s\s+224x168\s+changed 100\.00%/);
  t.match(result.stdout, /frame\s+30\s+t=1\.200s/);
  t.match(result.stdout, /40 frames; pixels changed by more than 8 levels per frame: median [\d.]+%, p90 [\d.]+%/);
});

t.test('socket-sender streams a file to socket-receiver, which processes it per stream', async (t) => {
  // A queue rather than 'latest', so that a loaded machine cannot make the receiver miss frames and wait forever.
  const receiver = spawn(process.execPath, [...runExample, 'socket-receiver', '--port', '0', '--queue', '64', '--frames', '40'], { cwd: REPO_ROOT });
  t.teardown(() => receiver.kill());
  let received = '';
  receiver.stdout.on('data', (chunk: Buffer) => (received += chunk.toString()));
  const port = await new Promise<string>((resolve, reject) => {
    receiver.stdout.on('data', () => {
      const listening = /listening on [\d.]+:(\d+)/.exec(received);
      if (listening) resolve(listening[1]!);
    });
    receiver.once('exit', () => reject(new Error(`receiver exited early: ${received}`)));
  });
  const sender = spawnSync(process.execPath, [...runExample, 'socket-sender', clip, '--port', port, '--stream', '7', '--width', '160'], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    timeout: 120_000,
  });
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
