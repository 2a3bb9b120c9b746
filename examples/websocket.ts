/**
 * Frames over WebSocket, as a browser would send its camera: a server source receives binary
 * messages in the rx-rrm frame protocol and runs each sender's stream through the demo network with
 * its own layer state. To show it end to end, this script also connects a sender that streams a
 * generated scene to it (what a page does with `ws.send(encodeFrameMessage(frame))`).
 *
 *   npm run example -- websocket [--port 0] [--frames 30] [--listen-only]
 *
 * `--listen-only` waits for senders of your own instead (ws://127.0.0.1:<port>/frames).
 */
import { groupBy, mergeMap, take } from 'rxjs';
import { WebSocket } from 'ws';
import { encodeFrameMessage, fromWebSocketServer, sceneFrames, toTensor } from 'rx-rrm';
import { demoModel, workFraction } from './lib/demo-pipeline.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: string) => (args.includes(name) ? args[args.indexOf(name) + 1]! : fallback);
const frames = Number(option('--frames', '30'));

fromWebSocketServer({
  port: Number(option('--port', '0')),
  path: '/frames',
  // The sender below sends its frames at once: keep them all (a live camera would use 'latest').
  policy: 'queue',
  queueSize: 256,
  onListening: ({ host, port }) => {
    console.log(`listening on ws://${host}:${port}/frames`);
    if (!args.includes('--listen-only')) send(`ws://${host}:${port}/frames`);
  },
})
  .pipe(
    take(frames),
    groupBy((frame) => frame.streamId),
    mergeMap((stream) => stream.pipe(toTensor(), demoModel())),
  )
  .subscribe({
    next: (output) => console.log(`stream ${output.streamId} frame ${output.index}: rx-rrm did ${(workFraction(output.stats) * 100).toFixed(1)}% of the dense multiply-adds`),
    complete: () => console.log(`received ${frames} frames`),
  });

/** The sender a page would be: one binary message per frame. */
function send(url: string): void {
  const socket = new WebSocket(url);
  socket.on('open', () => {
    for (const frame of sceneFrames({ width: 160, height: 120, frames })) socket.send(encodeFrameMessage(frame, 7));
    socket.close();
  });
}
