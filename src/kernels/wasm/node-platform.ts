/**
 * The wasm kernels' host runtime on Node and Deno: modules read from `build/wasm` (or a copy beside
 * this file), the helper thread a `worker_threads` eval worker, blocking waits with `Atomics.wait`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { HelperWorkerHandle, WasmPlatform } from './platform.js';

/** `<package>/build/wasm`, reached from `src/kernels/wasm` or `dist/kernels/wasm`; or a copy beside this file. */
function findModule(file: string): string | undefined {
  const candidates = [new URL(`../../../build/wasm/${file}`, import.meta.url), new URL(`./${file}`, import.meta.url)];
  return candidates.map((url) => fileURLToPath(url)).find((path) => existsSync(path));
}

export const platform: WasmPlatform = {
  name: 'Node',
  kernelModule(file, instructionSetName) {
    const path = findModule(file);
    if (!path) return { error: `${file} is not built (run \`npm run build:wasm\`)` };
    const bytes = readFileSync(path);
    if (!WebAssembly.validate(bytes)) return { error: `WebAssembly ${instructionSetName} is not supported by this engine` };
    return new WebAssembly.Module(bytes);
  },
  startHelperWorker(loop, data): HelperWorkerHandle {
    // Plain JavaScript (CommonJS, `eval: true`): no file to find from src/ or dist/.
    // No top-level name may be `module` or `exports`: Deno's eval worker declares them already.
    const source = `const { workerData } = require('node:worker_threads');\nconst { module: kernelModule, memory, control } = workerData;\n${loop}`;
    const worker = new Worker(source, { eval: true, workerData: data });
    // The worker blocks in Atomics.wait forever; it must not keep the process alive.
    worker.unref();
    return { onError: (listener) => worker.on('error', listener) };
  },
  waitWhileEqual(control, slot, value, timeoutMs) {
    Atomics.wait(control, slot, value, timeoutMs);
  },
  hardwareThreads: () => availableParallelism(),
};
