/**
 * A live camera through the demo network: per frame, how many pixels changed and how much of the
 * dense work rx-rrm did. A slow pipeline skips to the newest frame (policy 'latest').
 *
 *   npm run example -- camera [--device /dev/video0] [--frames 100] [--test-pattern]
 *
 * `--test-pattern` stands in for a camera with ffmpeg's moving test pattern at 25 frames/s.
 */
import { connect, take, zip } from 'rxjs';
import { fromCamera, toTensor, type LiveFrame } from 'rx-rrm';
import { demoModel, workFraction } from './lib/demo-pipeline.js';
import { frameChange } from './lib/frame-change.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: string) => (args.includes(name) ? args[args.indexOf(name) + 1]! : fallback);
const frames = Number(option('--frames', '100'));
const testPattern = ['-re', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=25'];

fromCamera({ width: 160, height: 120, policy: 'latest', ...(args.includes('--test-pattern') ? { input: testPattern } : { device: option('--device', '/dev/video0') }) })
  .pipe(
    take(frames),
    connect((shared) => zip(shared.pipe(frameChange<LiveFrame>(8)), shared.pipe(toTensor(), demoModel()))),
  )
  .subscribe({
    next: ([{ frame, changedFraction }, output]) =>
      console.log(
        `frame ${frame.index}: ${(changedFraction * 100).toFixed(1)}% of pixels changed, rx-rrm did ${(workFraction(output.stats) * 100).toFixed(1)}% of the dense multiply-adds` +
          (frame.dropped ? ` (${frame.dropped} stale frames skipped)` : ''),
      ),
    error: (error: Error) => {
      console.error(`camera: ${error.message}\n(no camera here? try --test-pattern)`);
      process.exitCode = 1;
    },
    complete: () => console.log(`${frames} frames from the camera`),
  });
