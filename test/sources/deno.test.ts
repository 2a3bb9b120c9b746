import t from 'tap';
import { join } from 'node:path';
import { denoMissing, runDeno } from '../helpers/deno.js';
import { generateClip, tempDir } from './helpers.js';

t.test('the sources run unchanged on Deno 2: file, Y4M and socket sources', { skip: denoMissing }, async (t) => {
  const dir = tempDir(t);
  const video = generateClip(join(dir, 'clip.mp4'), { frames: 20, codecArgs: ['-c:v', 'libx264', '-pix_fmt', 'yuv420p'] });
  const y4m = generateClip(join(dir, 'clip.y4m'), { size: '64x48', frames: 12, codecArgs: ['-pix_fmt', 'yuv420p'] });
  const run = runDeno('test/deno/pipeline.ts', [video, y4m]);
  t.equal(run.status, 0, `deno exited cleanly: ${run.stderr}`);
  const summary = JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '{}');
  t.match(summary.runtime, /^deno 2\./);
  t.same(
    {
      videoFrames: summary.videoFrames,
      videoSize: summary.videoSize,
      takeTwo: summary.takeTwo,
      y4mFrames: summary.y4mFrames,
      socketFrames: summary.socketFrames,
      socketIdentical: summary.socketIdentical,
      decoderAlive: summary.decoderAlive,
    },
    { videoFrames: 20, videoSize: [80, 60, 1], takeTwo: 2, y4mFrames: 12, socketFrames: 12, socketIdentical: true, decoderAlive: false },
  );
});
