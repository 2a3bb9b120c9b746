/**
 * The page side of the browser tests (test/browser/page.html, compiled by the demo server): rx-rrm
 * as a page imports it, run on the fake camera or on streams the test serves, with what Node needs
 * to check the results handed back as base64 (`window.rrmTest`).
 */
import { firstValueFrom, take, tap, toArray } from 'rxjs';
import { fromMediaStream, fromReadableStream, fromWebSocket, loadOnnx, loadWasmKernels, type Frame } from 'rx-rrm/browser';

const PREPROCESS = { mean: 127, scale: 1 / 128 };

function base64(bytes: Uint8Array | Float32Array): string {
  const view = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let text = '';
  for (let i = 0; i < view.length; i += 0x8000) text += String.fromCharCode(...view.subarray(i, i + 0x8000));
  return btoa(text);
}

const frameRecord = (f: Frame & { dropped?: number }) => ({ index: f.index, width: f.width, height: f.height, channels: f.channels, dropped: f.dropped ?? 0, streamId: f.streamId, data: base64(f.data) });

export interface CameraRunOptions {
  readonly modelUrl: string;
  readonly frames: number;
  readonly reader: 'track-processor' | 'video-element';
  readonly threads: 1 | 2;
  readonly threshold: number;
  /** Run the model as the two-stage frame pipeline (`threads: 2`, a stage worker) on `threads`-thread kernels. */
  readonly pipeline?: boolean;
}

/** `frames` camera frames through UltraFace: the frames as the pipeline saw them and its outputs. */
async function cameraRun(options: CameraRunOptions) {
  const kernels = await loadWasmKernels({ threads: options.threads });
  const model = await loadOnnx(options.modelUrl);
  const stream = await navigator.mediaDevices.getUserMedia({ video: { width: 320, height: 240 } });
  const frames: Frame[] = [];
  try {
    const outputs = await firstValueFrom(
      fromMediaStream(stream, { width: 320, height: 240, reader: options.reader }).pipe(
        tap((frame) => frames.push(frame)),
        model.pipeline({ preprocess: PREPROCESS, threshold: options.threshold, ...(options.pipeline ? { threads: 2 as const } : {}) }),
        take(options.frames),
        toArray(),
      ),
    );
    return {
      kernels: { threads: kernels.threads, instructionSet: kernels.instructionSet, note: kernels.note },
      frames: frames.map(frameRecord),
      outputs: outputs.map((o) => ({ keyframe: o.keyframe, scores: base64(o.outputs.scores!.data), boxes: base64(o.outputs.boxes!.data), macs: o.stats.reduce((n, s) => n + s.macs, 0) })),
    };
  } finally {
    stream.getTracks().forEach((track) => track.stop());
  }
}

/**
 * `count` camera frames read by a consumer that takes `busyMs` over each (policy 'latest'), or at
 * most `fps` a second: indices, timestamps and drop counts as the source reported them.
 */
async function liveRun(options: { count: number; busyMs: number; fps?: number; reader: 'track-processor' | 'video-element' }) {
  const stream = await navigator.mediaDevices.getUserMedia({ video: { width: 320, height: 240 } });
  try {
    const source = fromMediaStream(stream, { width: 160, height: 120, policy: 'latest', reader: options.reader, ...(options.fps ? { fps: options.fps } : {}) });
    const frames = await firstValueFrom(
      source.pipe(
        tap(() => {
          const until = performance.now() + options.busyMs;
          while (performance.now() < until);
        }),
        take(options.count),
        toArray(),
      ),
    );
    return frames.map((f) => ({ index: f.index, timestamp: f.timestamp, dropped: f.dropped, width: f.width, height: f.height }));
  } finally {
    stream.getTracks().forEach((track) => track.stop());
  }
}

/** `loadOnnx` on bytes, as an ArrayBuffer and as a typed array view: what the model says of itself, or the error. */
async function loadBytesRun(modelBase64: string) {
  const bytes = Uint8Array.from(atob(modelBase64), (c) => c.charCodeAt(0));
  const padded = new Uint8Array(bytes.length + 8);
  padded.set(bytes, 8);
  const fromBuffer = await loadOnnx(bytes.buffer);
  const fromView = await loadOnnx(padded.subarray(8));
  const describe = (m: typeof fromBuffer) => ({ layers: m.layers, outputs: m.outputs.map((o) => o.name), input: m.inputs[0]!.dims });
  const bad = await loadOnnx(42 as unknown as ArrayBuffer).then(() => 'no error', (error: Error) => error.message);
  return { fromBuffer: describe(fromBuffer), fromView: describe(fromView), bad };
}

/** Frames from a WebSocket server until it closes. */
async function webSocketRun(url: string) {
  const frames = await firstValueFrom(fromWebSocket(url, { policy: 'queue', queueSize: 64 }).pipe(toArray()));
  return frames.map(frameRecord);
}

/** Raw frames from a ReadableStream the page makes out of `chunks` (base64), chunked as given. */
async function readableStreamRun(chunks: string[], width: number, height: number) {
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(Uint8Array.from(atob(chunk), (c) => c.charCodeAt(0)));
      controller.close();
    },
  });
  const frames = await firstValueFrom(fromReadableStream(stream, { width, height, channels: 3 }).pipe(toArray()));
  return frames.map(frameRecord);
}

Object.assign(window, { rrmTest: { cameraRun, liveRun, loadBytesRun, webSocketRun, readableStreamRun, ready: true } });
