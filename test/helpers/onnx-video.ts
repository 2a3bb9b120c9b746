/** Frames of the real clips of `../shared/data` for tests and benchmarks (paths: ./shared-data.ts). */
import { firstValueFrom, take, toArray } from 'rxjs';
import { fromVideoFile, type VideoFileOptions } from '../../src/sources/index.js';
import type { Frame } from '../../src/types.js';

export { modelPath, needsSharedData, videoPath } from './shared-data.js';

/** The first `count` frames of a video, scaled by ffmpeg. */
export function readFrames(path: string, count: number, options: VideoFileOptions): Promise<Frame[]> {
  return firstValueFrom(fromVideoFile(path, options).pipe(take(count), toArray()));
}
