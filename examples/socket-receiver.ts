/**
 * Receives frames from any number of senders (socket-sender.ts) and processes every stream
 * separately: `groupBy(streamId)` gives each its own state, as each camera needs its own rrm
 * layers. Here the per-stream processing reports how much each frame changed.
 *
 *   npm run example -- socket-receiver [--port 9000] [--host 127.0.0.1] [--queue N] [--frames N]
 *
 * By default a lagging pipeline skips to the newest frame (policy 'latest'); `--queue N` keeps up
 * to N waiting frames per stream instead. `--frames N` stops after N frames in total (scripts,
 * tests); by default it runs until killed.
 */
import { groupBy, mergeMap, take } from 'rxjs';
import { fromSocket, type LiveFrame } from '../src/index.js';
import { frameChange } from './lib/frame-change.js';

const option = (name: string, fallback: string) => {
  const at = process.argv.indexOf(name);
  return at >= 0 ? process.argv[at + 1]! : fallback;
};
const port = Number(option('--port', '9000'));
const host = option('--host', '127.0.0.1');
const frameLimit = Number(option('--frames', 'Infinity'));
const queueSize = Number(option('--queue', '0'));

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
    mergeMap((stream) => stream.pipe(frameChange<LiveFrame>(8))),
  )
  .subscribe({
    next: ({ frame, changedFraction }) => {
      const { dropped } = frame;
      if (frame.index % 25 === 0 || dropped > 0) {
        console.log(
          `stream ${frame.streamId} frame ${frame.index}: ${frame.width}x${frame.height}, ${(changedFraction * 100).toFixed(1)}% of pixels changed` +
            (dropped ? `, ${dropped} stale frames dropped before it` : ''),
        );
      }
    },
    complete: () => console.log(`received ${frameLimit} frames`),
  });
