/** Real models and videos of `../shared/data` (relative to the repository root) for tests and benchmarks. */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';
import { firstValueFrom, take, toArray } from 'rxjs';
import { fromVideoFile, type VideoFileOptions } from '../../src/sources/index.js';
import type { Frame } from '../../src/types.js';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const SHARED_DATA = resolve(REPO_ROOT, '../shared/data');

export const modelPath = (name: string) => resolve(SHARED_DATA, 'models', name);
export const videoPath = (name: string) => resolve(SHARED_DATA, 'videos', name);

/** The files among `paths` that do not exist (empty when all are there). */
export const missing = (...paths: string[]) => paths.filter((p) => !existsSync(p));

/** The first `count` frames of a video, scaled by ffmpeg. */
export function readFrames(path: string, count: number, options: VideoFileOptions): Promise<Frame[]> {
  return firstValueFrom(fromVideoFile(path, options).pipe(take(count), toArray()));
}
