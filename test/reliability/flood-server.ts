/**
 * The receiving side of the flood tests, run as a child process under a small heap
 * (`--max-old-space-size=256`): a `fromSocket` or `fromWebSocketServer` server with default limits
 * that counts the good peer's frames (stream id 4242) and samples its own memory. It prints JSON
 * lines: `{ port }` once listening, then `{ report }` when its stdin says "report".
 */
import { fromSocket } from '../../src/sources/socket.js';
import { fromWebSocketServer } from '../../src/sources/websocket.js';
import { ReceiveLimitError } from '../../src/sources/receive-limits.js';
import type { LiveFrame } from '../../src/sources/live-policy.js';

const kind = process.argv[2] === 'ws' ? 'ws' : 'tcp';
const GOOD_STREAM = 4242;
const peak = { rss: 0, heapUsed: 0, arrayBuffers: 0 };
const errorsByLimit: Record<string, number> = {};
let goodFrames = 0;
let goodInOrder = true;
let otherFrames = 0;
/** The good peer connects first: connection 0. */
let goodPeerError: string | undefined;

const sample = () => {
  const usage = process.memoryUsage();
  peak.rss = Math.max(peak.rss, usage.rss);
  peak.heapUsed = Math.max(peak.heapUsed, usage.heapUsed);
  peak.arrayBuffers = Math.max(peak.arrayBuffers, usage.arrayBuffers);
};
const sampler = setInterval(sample, 100);

const options = {
  // The good peer's frames must all arrive: a deep queue per stream (a lagging pipeline would
  // otherwise drop stale frames, by design). Every other limit keeps its default.
  policy: 'queue' as const,
  queueSize: 1000,
  onListening: ({ port }: { port: number }) => console.log(JSON.stringify({ port })),
  onConnectionError: (error: Error, connection: { connectionId: number }) => {
    if (connection.connectionId === 0) goodPeerError = error.message;
    const key = error instanceof ReceiveLimitError ? error.limit : error.name;
    errorsByLimit[key] = (errorsByLimit[key] ?? 0) + 1;
  },
};
const onFrame = (frame: LiveFrame) => {
  if (String(frame.streamId).endsWith(`:${GOOD_STREAM}`)) {
    if (frame.index !== goodFrames || frame.data[0] !== (goodFrames & 0xff)) goodInOrder = false;
    goodFrames++;
  } else {
    otherFrames++;
  }
};
const subscription = (kind === 'tcp' ? fromSocket(options) : fromWebSocketServer(options)).subscribe({ next: onFrame, error: (e: Error) => console.log(JSON.stringify({ fatal: e.message })) });

process.stdin.setEncoding('utf8');
// The parent test went away without asking for the report: nothing to report to.
process.stdin.on('end', () => process.exit(1));
process.stdin.on('data', (text: string) => {
  if (!text.includes('report')) return;
  sample();
  console.log(JSON.stringify({ report: { kind, peakRss: peak.rss, peakHeapUsed: peak.heapUsed, peakArrayBuffers: peak.arrayBuffers, goodFrames, goodInOrder, otherFrames, errorsByLimit, goodPeerError } }));
  subscription.unsubscribe();
  clearInterval(sampler);
  process.stdin.destroy(); // the last handle: the process now ends unless the source leaked one
});
