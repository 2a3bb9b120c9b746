/**
 * Raw frames from a Web ReadableStream (a fetch body, a WebCodecs pipeline, a file, stdin) through
 * the demo network. Here the stream is stdin when something is piped in, e.g. ffmpeg's raw output:
 *
 *   ffmpeg -i clip.mp4 -vf scale=160:120 -f rawvideo -pix_fmt rgb24 - | npm run example -- readable-stream --width 160 --height 120
 *
 * and otherwise a stream of generated frames.
 */
import { Readable } from 'node:stream';
import { lastValueFrom, tap } from 'rxjs';
import { fromReadableStream, sceneFrames, toTensor } from 'rx-rrm';
import { demoModel, workFraction } from './lib/demo-pipeline.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: string) => (args.includes(name) ? args[args.indexOf(name) + 1]! : fallback);
const width = Number(option('--width', '160'));
const height = Number(option('--height', '120'));

const stream: ReadableStream<Uint8Array> = process.stdin.isTTY
  ? new ReadableStream({
      start(controller) {
        for (const frame of sceneFrames({ width, height, frames: 30 })) controller.enqueue(frame.data);
        controller.close();
      },
    })
  : (Readable.toWeb(process.stdin) as ReadableStream<Uint8Array>);

let count = 0;
await lastValueFrom(
  fromReadableStream(stream, { width, height, channels: 3, fps: 25 }).pipe(
    toTensor(),
    demoModel(),
    tap((output) => {
      count++;
      if (output.index % 10 === 0) console.log(`frame ${output.index} (t=${output.timestamp} ms): rx-rrm did ${(workFraction(output.stats) * 100).toFixed(1)}% of the dense multiply-adds`);
    }),
  ),
);
console.log(`${count} frames of ${width}x${height} from the stream`);
