// The existing web-API sources in Chromium: fromWebSocket (over the browser's own WebSocket) gets
// the frames a Node server sends in the frame protocol, byte for byte, with stream ids; a protocol
// violation ends it with the reason. fromReadableStream splits a page-made stream chunked across
// frame boundaries into the right frames. loadOnnx takes bytes. Skips, with the reason, without Chromium.
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { WebSocketServer } from 'ws';
import { encodeFrameMessage } from '../../src/sources/protocol.js';
import type { Frame } from '../../src/types.js';
import { chromiumMissing } from '../helpers/chromium.js';
import { fromBase64, startBrowserSession, type BrowserSession } from '../helpers/browser-session.js';
import { buildModel, weights } from '../helpers/onnx-builder.js';
import { prng } from '../helpers/random.js';

const skip = chromiumMissing;
let session: BrowserSession;
t.before(async () => {
  if (!skip) session = await startBrowserSession({ isolated: false });
});
t.teardown(() => session?.close());

const randomFrame = (random: () => number, index: number, width = 16, height = 12): Frame => ({
  data: Uint8Array.from({ length: width * height * 3 }, () => Math.floor(random() * 256)), width, height, channels: 3, index, timestamp: index * 40,
});

interface PageFrame { index: number; width: number; height: number; channels: number; streamId?: string; data: string }
type Run = (method: string, ...args: unknown[]) => Promise<PageFrame[]>;
const runInPage = (page: import('playwright-core').Page): Run => (method, ...args) =>
  page.evaluate(([m, a]) => (window as unknown as { rrmTest: Record<string, (...x: unknown[]) => Promise<PageFrame[]>> }).rrmTest[m as string]!(...(a as unknown[])), [method, args] as const);

async function frameServer(send: (socket: import('ws').WebSocket) => void): Promise<{ url: string; close: () => void }> {
  const server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise((resolve) => server.once('listening', resolve));
  server.on('connection', send);
  return { url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}/`, close: () => server.close() };
}

t.test('fromWebSocket in the browser receives the frames a server sends', { skip, timeout: 60_000 }, async (t) => {
  const random = prng(7);
  const sent = [0, 1, 2, 3, 4].map((k) => randomFrame(random, k));
  const server = await frameServer((socket) => {
    sent.forEach((frame, k) => socket.send(encodeFrameMessage(frame, k % 2)));
    socket.close(1000);
  });
  t.teardown(server.close);
  const { page, context } = await session.open();
  t.teardown(() => context.close());
  const received = await runInPage(page)('webSocketRun', server.url);
  t.equal(received.length, sent.length, 'every frame');
  // Two streams: each arrives in order, interleaved with the other in any order.
  for (const wireId of [0, 1]) {
    const stream = received.filter((f) => f.streamId === `0:${wireId}`);
    const expected = sent.filter((_, k) => k % 2 === wireId);
    t.equal(stream.length, expected.length, `stream 0:${wireId}: ${expected.length} frames`);
    stream.forEach((frame, k) => {
      t.same(fromBase64(frame.data), expected[k]!.data, `stream 0:${wireId} frame ${k}: the same bytes`);
      t.equal(frame.index, k, `stream 0:${wireId} frame ${k}: index counts the stream's frames`);
    });
  }
});

t.test('fromWebSocket in the browser ends with the reason on a protocol violation', { skip, timeout: 60_000 }, async (t) => {
  const server = await frameServer((socket) => socket.send('not a frame'));
  t.teardown(server.close);
  const { page, context } = await session.open();
  t.teardown(() => context.close());
  await t.rejects(runInPage(page)('webSocketRun', server.url), /received a text message: expected binary messages, one frame each/);
});

t.test('fromReadableStream in the browser splits a stream chunked across frame boundaries', { skip, timeout: 60_000 }, async (t) => {
  const random = prng(11);
  const frames = [0, 1, 2].map((k) => randomFrame(random, k, 10, 6));
  const all = Buffer.concat(frames.map((f) => f.data));
  const chunks = [all.subarray(0, 7), all.subarray(7, 250), all.subarray(250)].map((c) => Buffer.from(c).toString('base64'));
  const { page, context } = await session.open();
  t.teardown(() => context.close());
  const received = await runInPage(page)('readableStreamRun', chunks, 10, 6);
  t.equal(received.length, 3, 'three frames');
  received.forEach((frame, k) => t.same(fromBase64(frame.data), frames[k]!.data, `frame ${k}: the same bytes`));
});

t.test('loadOnnx in the browser takes the bytes as an ArrayBuffer or a typed array, and says what else it wanted', { skip, timeout: 60_000 }, async (t) => {
  const model = buildModel({
    input: { name: 'x', dims: [1, 3, 8, 8] },
    outputs: ['y'],
    nodes: [{ op: 'Conv', name: 'stem', inputs: ['x', 'w'], outputs: ['y'], attributes: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] } }],
    initializers: { w: weights(prng(3), [4, 3, 3, 3]) },
  });
  const { page, context } = await session.open();
  t.teardown(() => context.close());
  const result = (await page.evaluate(
    (bytes) => (window as unknown as { rrmTest: { loadBytesRun(b: string): Promise<unknown> } }).rrmTest.loadBytesRun(bytes),
    Buffer.from(model).toString('base64'),
  )) as { fromBuffer: unknown; fromView: unknown; bad: string };
  const expected = { layers: ['stem'], outputs: ['y'], input: [1, 3, 8, 8] };
  t.same(result.fromBuffer, expected, 'from an ArrayBuffer');
  t.same(result.fromView, expected, 'from a view into a larger buffer');
  t.equal(result.bad, 'loadOnnx: expected the model as an ArrayBuffer, a typed array, a URL or a URL string, got number');
});
