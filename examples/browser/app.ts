/**
 * The browser demo (examples/browser/index.html, `npm run demo:browser`): a webcam or a sample
 * clip through UltraFace with rx-rrm, the dense path beside it on the same frames, faces boxed,
 * the first layer's recomputed pixels tinted. Query parameters (for links and the tests): `model`
 * (URL of another ONNX file), `source` (`camera` or a clip URL), `tau`, `threads` (1, 2 or auto),
 * `autostart=1`.
 */
import { BehaviorSubject, defer, map, share, switchMap, tap, type Observable, type OperatorFunction, type Subscription } from 'rxjs';
import {
  decodeUltraFace, fromMediaStream, fromVideoElement, loadOnnx, loadWasmKernels,
  type FaceBox, type Frame, type LiveFrame, type ModelOutput, type OnnxModel, type WasmKernels,
} from 'rx-rrm/browser';
import { FramePainter } from './draw.js';

const PREPROCESS = { mean: 127, scale: 1 / 128 };
const WIDTH = 320;
const HEIGHT = 240;
const params = new URLSearchParams(location.search);

const element = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const ui = {
  kernels: element<HTMLDivElement>('kernels'),
  source: element<HTMLSelectElement>('source'),
  start: element<HTMLButtonElement>('start'),
  tau: element<HTMLInputElement>('tau'),
  tauValue: element<HTMLOutputElement>('tau-value'),
  overlay: element<HTMLInputElement>('overlay'),
  dense: element<HTMLInputElement>('dense'),
  view: element<HTMLCanvasElement>('view'),
  placeholder: element<HTMLDivElement>('placeholder'),
  message: element<HTMLDivElement>('message'),
  fpsRrm: element<HTMLSpanElement>('fps-rrm'),
  fpsDense: element<HTMLSpanElement>('fps-dense'),
  speedup: element<HTMLSpanElement>('speedup'),
  macs: element<HTMLSpanElement>('macs'),
  faces: element<HTMLSpanElement>('faces'),
  dropped: element<HTMLSpanElement>('dropped'),
};

/** What the page shows, readable by the tests (`window.rrmDemo`). */
const probe = {
  ready: false,
  running: false,
  frames: 0,
  dropped: 0,
  message: null as string | null,
  kernels: null as Pick<WasmKernels, 'threads' | 'instructionSet' | 'note'> | null,
  /** The last frame drawn and its faces, in frame pixels. */
  lastFrame: null as Frame | null,
  boxes: [] as FaceBox[],
  /** The camera stream while one is open (released by Stop). */
  camera: null as MediaStream | null,
};
Object.assign(window, { rrmDemo: probe });

function showMessage(text: string | null, kind: 'error' | 'info' = 'error'): void {
  probe.message = text;
  ui.message.hidden = text === null;
  ui.message.className = `message${kind === 'info' ? ' info' : ''}`;
  ui.message.textContent = text ?? '';
}

/** The mean of the last `size` values. */
class Rolling {
  private readonly values: number[] = [];
  constructor(private readonly size = 30) {}
  add(value: number): void {
    this.values.push(value);
    if (this.values.length > this.size) this.values.shift();
  }
  get mean(): number {
    return this.values.length ? this.values.reduce((a, b) => a + b, 0) / this.values.length : NaN;
  }
  clear(): void {
    this.values.length = 0;
  }
}

/** `operator` with the time it spent on each frame (it runs synchronously inside `next`). */
function timed<T>(operator: OperatorFunction<Frame, T>): OperatorFunction<Frame, { value: T; ms: number }> {
  return (frames) =>
    defer(() => {
      let started = 0;
      return frames.pipe(
        tap(() => (started = performance.now())),
        operator,
        map((value) => ({ value, ms: performance.now() - started })),
      );
    });
}

function macFraction(output: ModelOutput): number {
  let done = 0;
  let dense = 0;
  for (const s of output.stats) {
    done += s.macs;
    dense += s.denseMacs;
  }
  return dense ? done / dense : 1;
}

async function openSource(choice: string): Promise<{ frames: Observable<LiveFrame>; close: () => void }> {
  if (choice === 'camera') {
    if (!navigator.mediaDevices?.getUserMedia) throw new Error('This page cannot use a camera: it needs a secure page (https:// or http://localhost).');
    let stream: MediaStream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { width: { ideal: 640 }, height: { ideal: 480 }, aspectRatio: { ideal: 4 / 3 } }, audio: false });
    } catch (error) {
      throw new Error(cameraProblem(error as DOMException));
    }
    probe.camera = stream;
    return { frames: fromMediaStream(stream, { width: WIDTH, height: HEIGHT, policy: 'latest' }), close: () => stream.getTracks().forEach((t) => t.stop()) };
  }
  const video = document.createElement('video');
  Object.assign(video, { muted: true, loop: true, playsInline: true, src: choice });
  try {
    await video.play();
  } catch (error) {
    throw new Error(`The clip ${choice} would not play: ${(error as Error).message}`);
  }
  return { frames: fromVideoElement(video, { width: WIDTH, height: HEIGHT, policy: 'latest' }), close: () => video.pause() };
}

function cameraProblem(error: DOMException): string {
  switch (error.name) {
    case 'NotAllowedError':
    case 'SecurityError':
      return 'Camera access was denied. Allow the camera for this page (the camera icon in the address bar) and press Start again, or pick a sample clip.';
    case 'NotFoundError':
    case 'OverconstrainedError':
      return 'No camera was found. Connect one and press Start again, or pick a sample clip.';
    case 'NotReadableError':
      return 'The camera is in use by another application. Close it and press Start again.';
    default:
      return `The camera could not be opened: ${error.message || error.name}`;
  }
}

let running: { subscription: Subscription; close: () => void } | undefined;
const tau$ = new BehaviorSubject(Number(params.get('tau') ?? ui.tau.value));

async function start(model: OnnxModel): Promise<void> {
  showMessage(null);
  ui.start.disabled = true;
  let source: Awaited<ReturnType<typeof openSource>>;
  try {
    source = await openSource(ui.source.value);
  } catch (error) {
    ui.start.disabled = false;
    showMessage((error as Error).message);
    return;
  }
  const painter = new FramePainter(ui.view);
  const rrmMs = new Rolling();
  const denseMs = new Rolling();
  const macs = new Rolling();
  const firstLayer = model.layers[0]!;
  let frame: LiveFrame | undefined;
  let lastShown = 0;
  probe.frames = 0;
  probe.dropped = 0;
  const frames = source.frames.pipe(share());
  const rrm = tau$.pipe(
    tap(() => [rrmMs, macs].forEach((r) => r.clear())),
    switchMap((threshold) => frames.pipe(timed(model.pipeline({ preprocess: PREPROCESS, threshold, traceLayers: [firstLayer] })))),
  );
  const dense = frames.pipe(timed(model.pipeline({ preprocess: PREPROCESS, keyframeEvery: 1 })));
  const subscription = frames.subscribe({
    next: (f) => {
      frame = f;
      probe.dropped += f.dropped;
    },
    error: (error: Error) => stop(`The video source failed: ${error.message}`),
  });
  subscription.add(
    rrm.subscribe({
      next: ({ value, ms }) => {
        rrmMs.add(ms);
        if (!value.keyframe) macs.add(macFraction(value));
        const boxes = decodeUltraFace({ scores: value.outputs.scores!, boxes: value.outputs.boxes! }, { width: WIDTH, height: HEIGHT });
        const activity = ui.overlay.checked ? value.stats.find((s) => s.layer === firstLayer)?.activity : undefined;
        painter.paint(frame!, boxes, activity);
        Object.assign(probe, { lastFrame: frame, boxes, frames: probe.frames + 1 });
        if (performance.now() - lastShown > 250) {
          lastShown = performance.now();
          showNumbers(rrmMs.mean, ui.dense.checked ? denseMs.mean : NaN, macs.mean, boxes.length);
        }
      },
      error: (error: Error) => stop(`rx-rrm stopped: ${error.message}`),
    }),
  );
  subscription.add(dense.pipe(tap(({ ms }) => denseMs.add(ms))).subscribe({ error: (error: Error) => stop(`The dense path stopped: ${error.message}`) }));
  running = { subscription, close: source.close };
  probe.running = true;
  ui.placeholder.hidden = true;
  ui.start.textContent = 'Stop';
  ui.start.classList.add('stop');
  ui.start.disabled = false;
}

function showNumbers(rrmMs: number, denseMs: number, macs: number, faces: number): void {
  const fps = (ms: number) => (Number.isFinite(ms) && ms > 0 ? (1000 / ms).toFixed(0) : '–');
  ui.fpsRrm.textContent = fps(rrmMs);
  ui.fpsDense.textContent = fps(denseMs);
  ui.speedup.textContent = Number.isFinite(denseMs) && rrmMs > 0 ? `${(denseMs / rrmMs).toFixed(1)}×` : '–';
  ui.macs.textContent = Number.isFinite(macs) ? `${(macs * 100).toFixed(0)}%` : '–';
  ui.faces.textContent = String(faces);
  ui.dropped.textContent = String(probe.dropped);
}

/** Ends the pipeline (camera released); `problem` is shown when it ended by an error. */
function stop(problem?: string): void {
  running?.subscription.unsubscribe();
  running?.close();
  running = undefined;
  probe.running = false;
  ui.start.textContent = 'Start';
  ui.start.classList.remove('stop');
  ui.start.disabled = false;
  showMessage(problem ?? 'Stopped. Press Start to run again.', problem ? 'error' : 'info');
}

async function main(): Promise<void> {
  ui.tau.value = String(tau$.value);
  ui.tauValue.textContent = tau$.value.toFixed(3);
  ui.tau.addEventListener('input', () => {
    ui.tauValue.textContent = Number(ui.tau.value).toFixed(3);
    tau$.next(Number(ui.tau.value));
  });
  const threadsParam = params.get('threads');
  try {
    const kernels = await loadWasmKernels({ threads: threadsParam === '1' ? 1 : threadsParam === '2' ? 2 : 'auto' });
    probe.kernels = { threads: kernels.threads, instructionSet: kernels.instructionSet, note: kernels.note };
    ui.kernels.textContent = `WebAssembly ${kernels.instructionSet === 'relaxed-simd' ? 'relaxed SIMD' : 'SIMD'} · ${kernels.threads === 2 ? 'two threads' : 'one thread'}`;
    ui.kernels.title = kernels.note;
    // One thread is a warning only where the page could not have two (not cross-origin isolated).
    ui.kernels.classList.add(kernels.threads === 2 || globalThis.crossOriginIsolated ? 'ok' : 'warn');
  } catch (error) {
    ui.kernels.textContent = 'plain JavaScript kernels';
    ui.kernels.classList.add('warn');
    showMessage(`The WebAssembly kernels did not load, so rx-rrm runs on slow JavaScript kernels: ${(error as Error).message}`);
  }
  const status = (await (await fetch('/data/status.json')).json()) as { available: boolean; reason?: string; model?: string; clips: string[] };
  for (const clip of status.clips) ui.source.add(new Option(`Sample clip: ${clip.split('/').pop()}`, clip));
  const sourceParam = params.get('source');
  if (sourceParam) ui.source.value = sourceParam;
  const modelUrl = params.get('model') ?? status.model;
  if (!modelUrl) {
    showMessage(`The UltraFace model is not here: ${status.reason}. Put ultraface-slim-320.onnx in ../shared/data/models (beside the repository) and restart npm run demo:browser.`);
    return;
  }
  let model: OnnxModel;
  try {
    model = await loadOnnx(modelUrl);
    if (!model.outputs.some((o) => o.name === 'scores') || !model.outputs.some((o) => o.name === 'boxes')) {
      throw new Error(`it has no 'scores' and 'boxes' outputs (outputs: ${model.outputs.map((o) => o.name).join(', ')}): the demo draws UltraFace detections`);
    }
  } catch (error) {
    showMessage(`The model could not be loaded (${modelUrl}): ${(error as Error).message}`);
    return;
  }
  ui.start.disabled = false;
  ui.start.addEventListener('click', () => (running ? stop() : void start(model)));
  probe.ready = true;
  if (params.get('autostart') === '1') await start(model);
}

void main();
