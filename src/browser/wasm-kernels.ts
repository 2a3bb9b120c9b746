/**
 * Loading the WebAssembly kernels in a page: each build is fetched and compiled with
 * `WebAssembly.compileStreaming` (a page must not compile synchronously), then handed to the
 * kernels through the browser platform. Two threads need a `SharedArrayBuffer`, which a browser
 * gives only to a cross-origin isolated page (served with `Cross-Origin-Opener-Policy: same-origin`
 * and `Cross-Origin-Embedder-Policy: require-corp`); elsewhere the kernels run on one thread and
 * `note` says why.
 */
import type { KernelBackend } from '../kernels/backend.js';
import { helperThread } from '../kernels/wasm/helper-thread.js';
import { forgetFailedLoads, KERNEL_FILES, loadWasmRuntime, type InstructionSet } from '../kernels/wasm/kernel-module.js';
import { createWasmBackend } from '../kernels/wasm/wasm-backend.js';
import { useAsDefaultBackend } from './default-backend.js';
import { registerKernelModule } from './wasm-platform.js';

export interface LoadWasmKernelsOptions {
  /** Where the `rrm*.wasm` files are (default: beside the bundle, `dist/browser/`). */
  readonly baseUrl?: string | URL;
  /**
   * `'auto'` (default): two where the page is cross-origin isolated and the browser reports more
   * than two cores. On two cores one thread measured faster (`npm run bench -- browser`: the helper
   * competes with the page's own work, and sparse frames are small steps it barely shortens).
   */
  readonly threads?: 1 | 2 | 'auto';
  /** Default `'auto'`: relaxed SIMD (fused multiply-add) where the browser has it, else SIMD. */
  readonly instructionSet?: InstructionSet;
  /** Make this backend the default of operators and models created afterwards (default true). */
  readonly makeDefault?: boolean;
}

export interface WasmKernels {
  readonly backend: KernelBackend;
  readonly threads: 1 | 2;
  readonly instructionSet: 'simd' | 'relaxed-simd';
  /** One line: how many threads and why. */
  readonly note: string;
}

/** How long the helper worker may take to start before the kernels settle for one thread. */
const HELPER_START_MS = 5000;

export async function loadWasmKernels(options: LoadWasmKernelsOptions = {}): Promise<WasmKernels> {
  const baseUrl = new URL(options.baseUrl ?? './', import.meta.url);
  let { threads, note } = chooseThreads(options.threads ?? 'auto');
  const wanted = options.instructionSet ?? 'auto';
  const sets = wanted === 'auto' ? (['relaxed-simd', 'simd'] as const) : [wanted];
  const shared = threads === 2;
  for (const set of sets) {
    const file = KERNEL_FILES[set][shared ? 'shared' : 'unshared'];
    registerKernelModule(file, await compileKernels(new URL(file, baseUrl), set));
  }
  forgetFailedLoads(); // a layer created before this call may have found the kernels missing
  const loaded = loadWasmRuntime(wanted, shared);
  if (!('runtime' in loaded)) throw new Error(`rx-rrm: the WebAssembly kernels did not load: ${loaded.error}`);
  if (shared) {
    try {
      await Promise.race([
        helperThread(loaded.runtime).whenReady(),
        new Promise((_, reject) => setTimeout(() => reject(new Error(`it did not start within ${HELPER_START_MS / 1000} s`)), HELPER_START_MS)),
      ]);
    } catch (error) {
      return loadWasmKernels({ ...options, threads: 1 }).then((kernels) => ({ ...kernels, note: `one thread: the helper worker failed (${(error as Error).message})` }));
    }
  }
  const backend = createWasmBackend({ threads, instructionSet: loaded.runtime.instructionSet });
  if (options.makeDefault ?? true) useAsDefaultBackend(backend);
  return { backend, threads, instructionSet: loaded.runtime.instructionSet, note };
}

function chooseThreads(requested: 1 | 2 | 'auto'): { threads: 1 | 2; note: string } {
  if (requested === 1) return { threads: 1, note: 'one thread (as asked)' };
  if (requested !== 2 && requested !== 'auto') throw new Error(`loadWasmKernels: threads must be 1, 2 or 'auto', got ${String(requested)}`);
  if (!globalThis.crossOriginIsolated) {
    return {
      threads: 1,
      note: 'one thread: the page is not cross-origin isolated (serve it with Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp for two)',
    };
  }
  const cores = globalThis.navigator?.hardwareConcurrency ?? 1;
  if (requested === 'auto' && cores <= 2) {
    return { threads: 1, note: `one thread: the browser reports ${cores} core${cores === 1 ? '' : 's'}, where the helper worker measured slower than one thread (threads: 2 asks for it)` };
  }
  return { threads: 2, note: 'two threads: a Web Worker shares the kernels\' WebAssembly.Memory (the page is cross-origin isolated)' };
}

/** One build of the kernels, or why it is unavailable (HTTP error, no (relaxed) SIMD in this browser). */
async function compileKernels(url: URL, set: 'simd' | 'relaxed-simd'): Promise<WebAssembly.Module | { error: string }> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (error) {
    return { error: `cannot fetch ${url.href}: ${(error as Error).message}` };
  }
  if (!response.ok) return { error: `cannot fetch ${url.href}: HTTP ${response.status}` };
  const setName = set === 'simd' ? 'SIMD' : 'relaxed SIMD';
  try {
    // compileStreaming insists on Content-Type application/wasm; some servers send another.
    if ((response.headers.get('content-type') ?? '').startsWith('application/wasm')) return await WebAssembly.compileStreaming(response);
    return await WebAssembly.compile(await response.arrayBuffer());
  } catch (error) {
    return { error: `WebAssembly ${setName} is not supported by this browser (${(error as Error).message})` };
  }
}
