import t from 'tap';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateClip, tempDir } from './helpers.js';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DENO = join(REPO_ROOT, 'node_modules', '.bin', process.platform === 'win32' ? 'deno.cmd' : 'deno');
// Offline and read-only towards the repository: modules come from node_modules, no lock file is written.
const DENO_FLAGS = ['run', '-A', '--no-lock', '--no-remote', '--cached-only', '--sloppy-imports', '--node-modules-dir=manual'];

const version = spawnSync(DENO, ['--version'], { encoding: 'utf8' });
const denoMissing = version.status !== 0 && `deno cannot start (${version.error?.message ?? version.stderr}): install the dev dependency 'deno'`;

t.test('the sources run unchanged on Deno 2: file, Y4M and socket sources', { skip: denoMissing }, async (t) => {
  const dir = tempDir(t);
  const video = generateClip(join(dir, 'clip.mp4'), { frames: 20, codecArgs: ['-c:v', 'libx264', '-pix_fmt', 'yuv420p'] });
  const y4m = generateClip(join(dir, 'clip.y4m'), { size: '64x48', frames: 12, codecArgs: ['-pix_fmt', 'yuv420p'] });
  const run = spawnSync(DENO, [...DENO_FLAGS, 'test/deno/pipeline.ts', video, y4m], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 90_000 });
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
