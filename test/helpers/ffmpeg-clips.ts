/**
 * Clips made with the ffmpeg rx-rrm itself would use (its own lookup: FFMPEG_PATH, PATH, the
 * bundled @ffmpeg-installer build), so that tests needing video run wherever the library can
 * decode; `ffmpegForTests()` says why not when there is none.
 */
import { spawnSync } from 'node:child_process';
import { resolveFfmpeg } from '../../src/sources/ffmpeg.js';

/** The ffmpeg path rx-rrm resolves, or the reason there is none (for `skip`). */
export async function ffmpegForTests(): Promise<{ path: string } | { skip: string }> {
  try {
    return { path: (await resolveFfmpeg()).path };
  } catch (error) {
    return { skip: `no ffmpeg for rx-rrm to use (${(error as Error).message})` };
  }
}

/** Runs ffmpeg synchronously and throws with its stderr when it fails. */
export function runFfmpeg(ffmpeg: string, args: readonly string[]): Buffer {
  const result = spawnSync(ffmpeg, ['-hide_banner', '-loglevel', 'error', '-nostdin', '-y', ...args], { maxBuffer: 1 << 30 });
  if (result.status !== 0) throw new Error(`ffmpeg ${args.join(' ')} failed: ${result.stderr?.toString()}`);
  return result.stdout;
}

/** Containers whose cuts the truncation tests cover, each with codec arguments every ffmpeg build has. */
export const CLIP_FORMATS: Readonly<Record<string, readonly string[]>> = {
  mp4: ['-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-movflags', '+faststart'],
  mkv: ['-c:v', 'libx264', '-pix_fmt', 'yuv420p'],
  webm: ['-c:v', 'libvpx', '-b:v', '300k'],
  avi: ['-c:v', 'mpeg4'],
  flv: ['-c:v', 'flv'],
  mov: ['-c:v', 'mjpeg', '-movflags', '+faststart'],
  gif: [],
  ts: ['-c:v', 'libx264', '-pix_fmt', 'yuv420p'],
};

/** `testsrc` (moving bars and a counter) for `frames` frames, plus a sine track when `audio`. */
export function testClip(ffmpeg: string, path: string, options: { frames: number; size?: string; rate?: number; codecArgs: readonly string[]; audio?: boolean }): string {
  const { frames, size = '96x72', rate = 25, codecArgs, audio = false } = options;
  runFfmpeg(ffmpeg, [
    '-f', 'lavfi', '-i', `testsrc=size=${size}:rate=${rate}`,
    ...(audio ? ['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000', '-c:a', 'aac', '-shortest'] : []),
    '-frames:v', String(frames), ...codecArgs, path,
  ]);
  return path;
}
