/** Shared fixtures for the source tests: generated clips, the real clips, process checks. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Frame } from '../../src/types.js';

/** The project's real clips live next to the repository, never in it. */
export const REAL_VIDEOS_DIR = fileURLToPath(new URL('../../../shared/data/videos', import.meta.url));
export const realVideosPresent = existsSync(REAL_VIDEOS_DIR);
export const REAL_VIDEOS_MISSING = `real clips not found at ${REAL_VIDEOS_DIR}: skipping (see ../shared/data/README.md)`;

/** The system ffmpeg (5.1 here, as CI installs it) makes the fixtures and the reference decodes. */
export const SYSTEM_FFMPEG = findSystemFfmpeg();

function findSystemFfmpeg(): string {
  for (const candidate of [process.env.FFMPEG_PATH, '/usr/bin/ffmpeg', '/usr/local/bin/ffmpeg']) {
    if (candidate && existsSync(candidate)) return candidate;
  }
  return 'ffmpeg';
}

/** A temporary directory removed when the test ends. */
export function tempDir(t: { teardown: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'rx-rrm-sources-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Runs ffmpeg synchronously; throws with its stderr when it fails. Returns stdout. */
export function ffmpeg(args: string[]): Buffer {
  const result = spawnSync(SYSTEM_FFMPEG, ['-hide_banner', '-loglevel', 'error', '-nostdin', '-y', ...args], { maxBuffer: 1 << 30 });
  if (result.status !== 0) throw new Error(`ffmpeg ${args.join(' ')} failed: ${result.stderr?.toString()}`);
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

const FFPROBE = join(SYSTEM_FFMPEG, '..', 'ffprobe');
export const probeTimestampsAvailable = existsSync(FFPROBE);

/** Presentation times (ms, rounded) of every video frame as ffprobe reports them. */
export function probeTimestamps(path: string): number[] {
  const result = spawnSync(FFPROBE, ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'frame=pts_time', '-of', 'csv=p=0', path]);
  return result.stdout.toString().trim().split('\n').map((line) => Math.round(Number(line) * 1000));
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Waits until `pid` no longer exists (the kernel reaps it shortly after the kill). */
export async function waitUntilGone(pid: number, timeoutMs = 3000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return true;
    await sleep(20);
  }
  return !isAlive(pid);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Blocks the thread, like a slow synchronous layer would. */
export function blockFor(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Mean absolute difference between two byte arrays of the same length. */
export function meanAbsDiff(a: Uint8Array, b: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i]! - b[i]!);
  return sum / a.length;
}

export function maxAbsDiff(a: Uint8Array, b: Uint8Array): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

/** A synthetic frame whose bytes encode its index, for round-trip checks. */
export function syntheticFrame(index: number, width = 8, height = 6, channels: 1 | 3 | 4 = 3, streamId?: number): Frame {
  const data = new Uint8Array(width * height * channels);
  for (let i = 0; i < data.length; i++) data[i] = (i * 7 + index * 31) & 0xff;
  return { data, width, height, channels, index, timestamp: index * 40, ...(streamId !== undefined ? { streamId } : {}) };
}
