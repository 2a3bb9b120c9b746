/**
 * Receives frames from any number of senders (socket-sender.ts) and processes every stream
 * separately: `groupBy(streamId)` gives each its own state, as each camera needs its own rrm
 * layers. Every stream runs through one definition of the demo network (a MobileNet-style stack with
 * seeded weights; put your model's `preprocess()` and `operator()` there instead), and the receiver
 * reports how much each frame changed and how much of the dense work rx-rrm did for it.
 *
 *   npm run example -- socket-receiver [--port 9000] [--host 127.0.0.1] [--queue N] [--frames N]
 *
 * By default a lagging pipeline skips to the newest frame (policy 'latest'); `--queue N` keeps up
 * to N waiting frames per stream instead. `--frames N` stops after N frames in total (scripts,
 * tests); by default it runs until killed.
 */
import { connect, groupBy, mergeMap, take, zip } from 'rxjs';
import { fromSocket, toTensor, type LiveFrame } from 'rx-rrm';
import { demoModel, workFraction } from './lib/demo-pipeline.js';
import { frameChange } from './lib/frame-change.js';

const option = (name: string, fallback: string) => {
  const at = process.argv.indexOf(name);
  return at >= 0 ? process.argv[at + 1]! : fallback;
};
const port = Number(option('--port', '9000'));
const host = option('--host', '127.0.0.1');
const frameLimit = Number(option('--frames', 'Infinity'));
const queueSize = Number(option('--queue', '0'));
// One set of weights for every stream; each stream's subscription gets its own layer state.
const network = demoModel(0.02);

fromSocket({
  port,
  host,
  // `dropped` on each frame says how many the policy skipped before it.
  ...(queueSize > 0 ? { policy: 'queue', queueSize } : { policy: 'latest' }),
  onListening: (address) => console.log(`listening on ${address.host}:${address.port}`),
  onConnection: (connection) => console.log(`sender ${connection.connectionId} connected from ${connection.remoteAddress}`),
  onConnectionError: (error, connection) => console.error(`sender ${connection.connectionId} dropped: ${error.message}`),
})
  .pipe(
    take(frameLimit),
    groupBy((frame) => frame.streamId),
    mergeMap((stream) => stream.pipe(connect((frames) => zip(frames.pipe(frameChange<LiveFrame>(8)), frames.pipe(toTensor(), network))))),
  )
  .subscribe({
    next: ([{ frame, changedFraction }, output]) => {
      const work = workFraction(output.stats);
      const { dropped } = frame;
      if (frame.index % 25 === 0 || dropped > 0) {
        console.log(
          `stream ${frame.streamId} frame ${frame.index}: ${frame.width}x${frame.height}, ${(changedFraction * 100).toFixed(1)}% of pixels changed, ` +
            `rx-rrm did ${(work * 100).toFixed(1)}% of the dense multiply-adds` +
            (dropped ? `, ${dropped} stale frames dropped before it` : ''),
        );
      }
    },
    complete: () => console.log(`received ${frameLimit} frames`),
  });
