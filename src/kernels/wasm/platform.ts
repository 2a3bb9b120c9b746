/**
 * What the wasm kernels need from the host runtime, and nothing else: the compiled kernel module,
 * a way to start the helper thread, a way to block until it answers, and the core count. Node and
 * Deno get `node-platform.ts`; the browser bundle replaces that file with
 * `src/browser/wasm-platform.ts` (scripts/build-browser.mjs), so the kernel code is one for all.
 */

/** What the helper worker receives: the kernel module to instantiate over the shared memory, and the control slots. */
export interface HelperWorkerData {
  readonly module: WebAssembly.Module;
  readonly memory: WebAssembly.Memory;
  readonly control: Int32Array;
}

/** A started helper worker. */
export interface HelperWorkerHandle {
  /** Failures of the worker after it started (a crash, a script error). */
  onError(listener: (error: Error) => void): void;
}

export interface WasmPlatform {
  /** The runtime's name in messages ("Node", "the browser"). */
  readonly name: string;
  /**
   * The compiled module of one build of the kernels (`rrm.wasm`, `rrm-relaxed-shared.wasm`, ...),
   * or why it is not available here. Synchronous: a browser compiles the modules ahead
   * (`loadWasmKernels`), and this only hands them out.
   */
  kernelModule(file: string, instructionSetName: string): WebAssembly.Module | { error: string };
  /**
   * Starts a worker that runs `loop` (JavaScript in which `kernelModule`, `memory` and `control`
   * are in scope) once it has `data`. Throws where workers cannot be started.
   */
  startHelperWorker(loop: string, data: HelperWorkerData): HelperWorkerHandle;
  /** Blocks while `control[slot] === value`, at most `timeoutMs` (returns early on any change, or spuriously). */
  waitWhileEqual(control: Int32Array, slot: number, value: number, timeoutMs: number): void;
  /** Hardware threads available to this process or page. */
  hardwareThreads(): number;
}
