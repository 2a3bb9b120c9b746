/**
 * Decodes a video file and prints how much every frame changed from the previous one: the
 * fraction of pixels that changed by more than 8 grey levels is about the work an rrm layer does.
 *
 *   npm run example -- video-stats [video file] [--width 224] [--gray] [--every 25]
 *
 * Without a file it reads ../shared/data/videos/car-detection.mp4 (beside a clone of the project's
 * repository, when present).
 */
import { existsSync } from 'node:fs';
import { lastValueFrom, tap, toArray } from 'rxjs';
import { fromVideoFile } from 'rx-rrm';
import { frameChange, quantileOf } from './lib/frame-change.js';

const args = process.argv.slice(2);
const [path, flags] = args[0] && !args[0].startsWith('--') ? [args[0], args.slice(1)] : ['../shared/data/videos/car-detection.mp4', args];
if (!existsSync(path)) {
  console.error(`video-stats: no video at ${path}: pass one (video-stats <video file> [--width N] [--gray] [--every N])`);
  process.exit(2);
}
const option = (name: string) => {
  const at = flags.indexOf(name);
  return at >= 0 ? Number(flags[at + 1]) : undefined;
};
const width = option('--width') ?? 224;
const every = option('--every') ?? 25;

const changes = await lastValueFrom(
  fromVideoFile(path, { width, pixelFormat: flags.includes('--gray') ? 'gray' : 'rgb24' }).pipe(
    frameChange(8),
    tap(({ frame, changedFraction, meanChange }) => {
      if (frame.index % every === 0) {
        console.log(
          `frame ${String(frame.index).padStart(5)}  t=${(frame.timestamp / 1000).toFixed(3)}s  ${frame.width}x${frame.height}  ` +
            `changed ${(changedFraction * 100).toFixed(2).padStart(6)}%  mean change ${meanChange.toFixed(2)}`,
        );
      }
    }),
    toArray(),
  ),
);
const deltas = changes.slice(1).map((change) => change.changedFraction * 100);
console.log(
  `${changes.length} frames; pixels changed by more than 8 levels per frame: ` +
    `median ${quantileOf(deltas, 0.5).toFixed(2)}%, p90 ${quantileOf(deltas, 0.9).toFixed(2)}%, max ${quantileOf(deltas, 1).toFixed(2)}%`,
);
