/**
 * A second thread for dense convs (keyframes and the dense fallback) and large sparse recomputes: a
 * worker that instantiates the same kernels over the same shared wasm memory and computes the
 * second half of the output rows (or of the touched-pixel list) while the calling thread computes
 * the first half. Hand-off is two counters in a shared Int32Array
 * (Atomics.notify/wait), not messages: a dense conv takes milliseconds, a message round trip would
 * cost a noticeable part of that. Until the worker has started, callers simply run every row themselves.
 */
import type { WasmRuntime } from './kernel-module.js';
import { platform } from './node-platform.js';
import type { HelperWorkerHandle } from './platform.js';

/** Slots of the control array. */
const enum Slot {
  /** Incremented by the caller for each job. */
  Requested,
  /** Set by the worker to the job number it finished. */
  Done,
  Ready,
  Kind,
  Header,
  RowStart,
  RowEnd,
  Scratch,
  Count,
}

/** What the two threads split: output rows of a dense conv, or a range of the touched list (`assembly/recompute.ts`). */
export enum HelperJob {
  DenseGeneral,
  DenseDepthwise,
  RecomputeGeneral,
  RecomputeDepthwise,
}
/** A worker that does not answer within this time is considered dead (it never should). */
const TIMEOUT_MS = 10_000;

// Plain JavaScript run by the worker, with `kernelModule`, `memory` and `control` in scope (the
// platform wraps it in what receives them). No top-level name may be `module` or `exports`: Deno's
// eval worker declares them already.
const WORKER_LOOP = `
const kernels = new WebAssembly.Instance(kernelModule, { env: { memory } }).exports;
Atomics.store(control, ${Slot.Ready}, 1);
let seen = 0;
for (;;) {
  Atomics.wait(control, ${Slot.Requested}, seen);
  seen = Atomics.load(control, ${Slot.Requested});
  const header = control[${Slot.Header}], start = control[${Slot.RowStart}], end = control[${Slot.RowEnd}], scratch = control[${Slot.Scratch}];
  switch (control[${Slot.Kind}]) {
    case ${HelperJob.DenseGeneral}: kernels.convDenseGeneral(header, start, end, scratch); break;
    case ${HelperJob.DenseDepthwise}: kernels.convDenseDepthwise(header, start, end); break;
    case ${HelperJob.RecomputeGeneral}: kernels.recomputeGeneral(header, start, end, scratch); break;
    case ${HelperJob.RecomputeDepthwise}: kernels.recomputeDepthwise(header, start, end); break;
  }
  Atomics.store(control, ${Slot.Done}, seen);
  Atomics.notify(control, ${Slot.Done});
}
`;

export class HelperThread {
  private readonly control = new Int32Array(new SharedArrayBuffer(Slot.Count * 4));
  private readonly worker: HelperWorkerHandle | undefined;
  private jobs = 0;
  private failure: Error | undefined;

  constructor(private readonly runtime: WasmRuntime) {
    try {
      this.worker = platform.startHelperWorker(WORKER_LOOP, { module: runtime.module, memory: runtime.memory, control: this.control });
    } catch (error) {
      // A runtime without workers (or without eval workers): every conv stays on one thread.
      this.worker = undefined;
      this.failure = error as Error;
      return;
    }
    this.worker.onError((error) => {
      this.failure = error;
    });
  }

  /** Jobs handed to the worker so far (for tests and diagnostics). */
  get jobCount(): number {
    return this.jobs;
  }

  /** Whether the worker has started (before that, `run` does all rows on the calling thread). */
  get ready(): boolean {
    return this.failure === undefined && Atomics.load(this.control, Slot.Ready) === 1;
  }

  /** Resolves once the worker can take work. */
  async whenReady(): Promise<void> {
    while (!this.ready) {
      if (this.failure) throw this.failure;
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  }

  /**
   * One engine's job over `count` rows (or touched pixels): the worker takes the second half (with
   * its own scratch), this thread the first; returns when both are done.
   */
  run(kind: HelperJob, header: number, count: number, ownScratch: number, helperScratch: number): void {
    if (!this.ready || count < 2) {
      runJob(this.runtime, kind, header, 0, count, ownScratch);
      return;
    }
    const split = count >> 1;
    const c = this.control;
    c[Slot.Kind] = kind;
    c[Slot.Header] = header;
    c[Slot.RowStart] = split;
    c[Slot.RowEnd] = count;
    c[Slot.Scratch] = helperScratch;
    const job = ++this.jobs;
    Atomics.store(c, Slot.Requested, job);
    Atomics.notify(c, Slot.Requested);
    runJob(this.runtime, kind, header, 0, split, ownScratch);
    const started = Date.now();
    for (let done = Atomics.load(c, Slot.Done); done !== job; done = Atomics.load(c, Slot.Done)) {
      platform.waitWhileEqual(c, Slot.Done, done, 100);
      if (this.failure) throw new Error(`wasm helper thread failed: ${this.failure.message}`);
      if (Date.now() - started > TIMEOUT_MS) throw new Error('wasm helper thread did not answer');
    }
  }
}

/** A job's range on the calling thread (the worker's twin is in `WORKER_LOOP`). */
export function runJob(runtime: WasmRuntime, kind: HelperJob, header: number, start: number, end: number, scratch: number): void {
  const { kernels } = runtime;
  switch (kind) {
    case HelperJob.DenseGeneral: return kernels.convDenseGeneral(header, start, end, scratch);
    case HelperJob.DenseDepthwise: return kernels.convDenseDepthwise(header, start, end);
    case HelperJob.RecomputeGeneral: return kernels.recomputeGeneral(header, start, end, scratch);
    case HelperJob.RecomputeDepthwise: return kernels.recomputeDepthwise(header, start, end);
  }
}

const helpers = new WeakMap<WasmRuntime, HelperThread>();

/** The runtime's helper thread, started on first request. */
export function helperThread(runtime: WasmRuntime): HelperThread {
  if (!runtime.shared) throw new Error('wasm helper thread: the runtime memory is not shared');
  let helper = helpers.get(runtime);
  if (!helper) {
    helper = new HelperThread(runtime);
    helpers.set(runtime, helper);
  }
  return helper;
}
