/**
 * The ffmpeg the tests use to make fixtures and reference decodes: the one rx-rrm itself finds
 * (FFMPEG_PATH, PATH, then the static build of the optional dependency @ffmpeg-installer/ffmpeg),
 * so `npm install && npm test` needs no ffmpeg installed by hand. Fixtures are made with encoders
 * and filters that the old 4.1 static build has too (libx264, ffv1, testsrc, -vsync).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { resolveFfmpeg, type FfmpegBinary } from '../../src/sources/ffmpeg.js';

async function findFfmpeg(): Promise<FfmpegBinary> {
  try {
    return await resolveFfmpeg();
  } catch (error) {
    throw new Error(`the tests need an ffmpeg, which npm install provides through @ffmpeg-installer/ffmpeg: ${(error as Error).message}`);
  }
}

export const TEST_FFMPEG: FfmpegBinary = await findFfmpeg();

/** Runs ffmpeg synchronously; throws with its stderr when it fails. Returns stdout. */
export function ffmpeg(args: string[]): Buffer {
  const result = spawnSync(TEST_FFMPEG.path, ['-hide_banner', '-loglevel', 'error', '-nostdin', '-y', ...args], { maxBuffer: 1 << 30 });
  if (result.status !== 0) throw new Error(`${TEST_FFMPEG.path} ${args.join(' ')} failed: ${result.stderr?.toString() ?? result.error?.message}`);
  return result.stdout;
}

/** `testsrc` (moving colour bars and a counter) for `frames` frames at `rate`, encoded to `path`. */
export function generateClip(path: string, options: { size?: string; rate?: number; frames: number; codecArgs?: string[]; filter?: string }): string {
  const { size = '160x120', rate = 25, frames, codecArgs = [], filter } = options;
  ffmpeg(['-f', 'lavfi', '-i', `testsrc=size=${size}:rate=${rate}`, '-frames:v', String(frames), ...(filter ? ['-vf', filter] : []), ...codecArgs, path]);
  return path;
}

/** ffmpeg's own decode of `path` to raw bytes: the independent reference. */
export function referenceDecode(path: string, pixelFormat: string, extra: string[] = []): Buffer {
  return ffmpeg(['-i', path, ...extra, '-f', 'rawvideo', '-pix_fmt', pixelFormat, 'pipe:1']);
}

/** ffprobe beside the ffmpeg in use (Debian's package has one; the static npm build does not). */
const FFPROBE = join(dirname(TEST_FFMPEG.path), 'ffprobe');
export const ffprobeMissing = !existsSync(FFPROBE) && 'no ffprobe beside the ffmpeg in use (the static build of @ffmpeg-installer has none; Debian\'s ffmpeg package does)';

/** Presentation times (ms, rounded) of every video frame as ffprobe reports them. */
export function probeTimestamps(path: string): number[] {
  const result = spawnSync(FFPROBE, ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'frame=pts_time', '-of', 'csv=p=0', path]);
  return result.stdout.toString().trim().split('\n').map((line) => Math.round(Number(line) * 1000));
}
