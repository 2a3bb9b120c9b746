/**
 * Streams a video file or a camera to a receiver over TCP in the rx-rrm frame protocol.
 *
 *   npm run example -- socket-sender <video file | camera | test-camera> [--host 127.0.0.1] [--port 9000] [--stream 0] [--width 320]
 *
 * A file is sent at its own pace (frames spaced by their timestamps), losslessly; a camera with
 * `policy: 'latest'`, so a slow network drops stale frames instead of falling behind.
 * `test-camera` is ffmpeg's test pattern at 25 frames/s, for machines without a camera.
 */
import { concatMap, timer, map, type Observable } from 'rxjs';
import { fromCamera, fromVideoFile, toSocket, type Frame } from 'rx-rrm';

const [input, ...flags] = process.argv.slice(2);
if (!input) {
  console.error('usage: socket-sender <video file | camera | test-camera> [--host H] [--port P] [--stream N] [--width W]');
  process.exit(2);
}
const option = (name: string, fallback: string) => {
  const at = flags.indexOf(name);
  return at >= 0 ? flags[at + 1]! : fallback;
};
const host = option('--host', '127.0.0.1');
const port = Number(option('--port', '9000'));
const streamId = Number(option('--stream', '0'));
const width = Number(option('--width', '320'));

const live = input === 'camera' || input === 'test-camera';
const frames: Observable<Frame> = live
  ? fromCamera({ width, height: Math.round((width * 3) / 4), ...(input === 'test-camera' ? { input: ['-re', '-f', 'lavfi', '-i', 'testsrc=size=640x480:rate=25'] } : {}) })
  : paced(fromVideoFile(input, { width }));

frames.pipe(toSocket({ host, port }, { streamId, policy: live ? 'latest' : 'queue' })).subscribe({
  next: (frame) => {
    if (frame.index % 50 === 0) console.log(`sent frame ${frame.index} (t=${(frame.timestamp / 1000).toFixed(2)}s) as stream ${streamId} to ${host}:${port}`);
  },
  error: (error: Error) => {
    console.error(error.message);
    process.exitCode = 1;
  },
  complete: () => console.log('all frames sent'),
});

/** Releases each frame at its presentation time, as a camera would (a file decodes much faster). */
function paced(source: Observable<Frame>): Observable<Frame> {
  const start = performance.now();
  return source.pipe(concatMap((frame) => timer(Math.max(0, start + frame.timestamp - performance.now())).pipe(map(() => frame))));
}
