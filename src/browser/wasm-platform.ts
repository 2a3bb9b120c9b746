/**
 * The wasm kernels' host runtime in a browser (the bundle's twin of
 * src/kernels/wasm/node-platform.ts): modules compiled ahead by `loadWasmKernels` (fetch +
 * `WebAssembly.compileStreaming`), the helper thread a Web Worker started from a Blob, and waits
 * that spin where `Atomics.wait` is forbidden (a page's main thread).
 */
import type { HelperWorkerHandle, WasmPlatform } from '../kernels/wasm/platform.js';

/** Each kernel file as `loadWasmKernels` compiled it, or why it could not. */
const compiled = new Map<string, WebAssembly.Module | { error: string }>();

export function registerKernelModule(file: string, module: WebAssembly.Module | { error: string }): void {
  compiled.set(file, module);
}

/** False once `Atomics.wait` has thrown here: a window's main thread may not block. */
let mayBlock = true;

export const platform: WasmPlatform = {
  name: 'the browser',
  kernelModule(file) {
    return compiled.get(file) ?? { error: `${file} is not loaded: call \`await loadWasmKernels()\` before creating layers` };
  },
  startHelperWorker(loop, data): HelperWorkerHandle {
    const source = `self.onmessage = (event) => {\nself.onmessage = null;\nconst { module: kernelModule, memory, control } = event.data;\n${loop}\n};`;
    // A Blob URL, not a file: nothing else to serve, and it inherits the page's isolation.
    const worker = new Worker(URL.createObjectURL(new Blob([source], { type: 'text/javascript' })), { name: 'rx-rrm wasm helper' });
    worker.postMessage(data);
    return {
      onError: (listener) =>
        worker.addEventListener('error', (event) => {
          event.preventDefault();
          listener(new Error(event.message || 'the helper worker failed to start'));
        }),
    };
  },
  waitWhileEqual(control, slot, value, timeoutMs) {
    if (mayBlock) {
      try {
        Atomics.wait(control, slot, value, timeoutMs);
        return;
      } catch {
        mayBlock = false;
      }
    }
    // The helper's half of a job takes about as long as this thread's half did: spinning costs
    // little, and a page cannot sleep synchronously.
    const until = performance.now() + timeoutMs;
    while (Atomics.load(control, slot) === value && performance.now() < until);
  },
  hardwareThreads: () => globalThis.navigator?.hardwareConcurrency ?? 1,
};
