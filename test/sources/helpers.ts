/** Shared fixtures for the source tests: generated clips, the real clips, process checks. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Frame } from '../../src/types.js';
import { needsSharedData, SHARED_DATA } from '../helpers/shared-data.js';

export { TEST_FFMPEG, ffmpeg, ffprobeMissing, generateClip, probeTimestamps, referenceDecode } from '../helpers/ffmpeg.js';

/** The real clips of ../shared/data, when present beside the repository. */
export const REAL_VIDEOS_DIR = resolve(SHARED_DATA, 'videos');
export const realVideosMissing = needsSharedData(REAL_VIDEOS_DIR);

/** A temporary directory removed when the test ends. */
export function tempDir(t: { teardown: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'rx-rrm-sources-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
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
