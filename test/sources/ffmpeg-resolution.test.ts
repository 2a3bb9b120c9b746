import t from 'tap';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { resolveFfmpeg } from '../../src/sources/ffmpeg.js';
import { tempDir } from './helpers.js';

/** A stand-in "ffmpeg" that only answers -version, claiming the given libavutil version. */
function fakeFfmpeg(dir: string, libavutil: string): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'ffmpeg');
  writeFileSync(path, `#!/bin/sh\necho "ffmpeg version N-12345-gdeadbeef"\necho "libavutil      ${libavutil} / ${libavutil}"\n`);
  chmodSync(path, 0o755);
  return path;
}

t.test('ffmpeg is found in order: option, FFMPEG_PATH, PATH, @ffmpeg-installer', { skip: process.platform === 'win32' && 'uses a shell-script stand-in' }, async (t) => {
  const dir = tempDir(t);
  const onPath = fakeFfmpeg(join(dir, 'bin'), '57. 28.100');
  const fromVariable = fakeFfmpeg(join(dir, 'variable'), '56. 70.100');
  const explicit = fakeFfmpeg(join(dir, 'explicit'), '58.  2.100');
  const saved = { PATH: process.env.PATH, FFMPEG_PATH: process.env.FFMPEG_PATH };
  t.teardown(() => {
    process.env.PATH = saved.PATH;
    if (saved.FFMPEG_PATH === undefined) delete process.env.FFMPEG_PATH;
    else process.env.FFMPEG_PATH = saved.FFMPEG_PATH;
  });
  process.env.PATH = join(dir, 'bin');
  process.env.FFMPEG_PATH = fromVariable;

  t.same(await resolveFfmpeg(explicit), { path: explicit, passthroughArgs: ['-fps_mode', 'passthrough'] }, 'explicit option first');
  t.same(await resolveFfmpeg(), { path: fromVariable, passthroughArgs: ['-vsync', '0'] }, 'then FFMPEG_PATH (an old ffmpeg: -vsync)');
  delete process.env.FFMPEG_PATH;
  t.same(await resolveFfmpeg(), { path: onPath, passthroughArgs: ['-fps_mode', 'passthrough'] }, 'then PATH (5.1: -fps_mode)');
  process.env.PATH = join(dir, 'nowhere');
  let installer: string | undefined;
  try {
    installer = createRequire(import.meta.url)('@ffmpeg-installer/ffmpeg').path;
  } catch {
    installer = undefined;
  }
  if (installer) t.equal((await resolveFfmpeg()).path, installer, 'then the static binary of @ffmpeg-installer/ffmpeg');
  else await t.rejects(resolveFfmpeg(), /ffmpeg not found: pass ffmpegPath, set FFMPEG_PATH, put ffmpeg on PATH, or install/);

  const impostor = join(dir, 'impostor');
  writeFileSync(impostor, '#!/bin/sh\necho hello\n');
  chmodSync(impostor, 0o755);
  await t.rejects(resolveFfmpeg(impostor), /does not behave like ffmpeg: '-version' exited with 0 and printed no libavutil version/);
});
