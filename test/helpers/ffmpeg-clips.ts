/**
 * Clips of every container the truncation and video fuzz tests cut, made with the ffmpeg the tests
 * use (test/helpers/ffmpeg.ts: the one rx-rrm itself finds), with codecs every build has.
 */
import { ffmpeg } from './ffmpeg.js';

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
export function testClip(path: string, options: { frames: number; size?: string; rate?: number; codecArgs: readonly string[]; audio?: boolean }): string {
  const { frames, size = '96x72', rate = 25, codecArgs, audio = false } = options;
  ffmpeg([
    '-f', 'lavfi', '-i', `testsrc=size=${size}:rate=${rate}`,
    ...(audio ? ['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000', '-c:a', 'aac', '-shortest'] : []),
    '-frames:v', String(frames), ...codecArgs, path,
  ]);
  return path;
}
