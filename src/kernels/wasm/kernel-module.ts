/**
 * Finds, compiles and instantiates the AssemblyScript SIMD kernels (`build/wasm/rrm.wasm`, built by
 * `scripts/build-wasm.mjs`) once per process, with a memory and allocator shared by all engines.
 * Compiling the module is also the SIMD feature test: an engine without WebAssembly SIMD rejects it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { WasmAllocator } from './allocator.js';

/** The module's exports (see `assembly/index.ts`). Pointers are byte addresses in `memory`. */
export interface WasmKernelExports {
  convDenseGeneral(header: number): void;
  convDenseDepthwise(header: number): void;
  detectActive(header: number, threshold: number, useCandidates: number, candidateCount: number): number;
  integrateAll(header: number): void;
  findNonFinite(values: number, count: number): number;
  clearTouched(header: number): void;
  scatterGeneral(header: number, activeCount: number): number;
  scatterDepthwise(header: number, activeCount: number): number;
}

export interface WasmRuntime {
  readonly kernels: WasmKernelExports;
  readonly memory: WebAssembly.Memory;
  readonly allocator: WasmAllocator;
}

/** The kernels use no static data; the first page stays unused so that address 0 is never handed out. */
const HEAP_START = 65536;

/** Where the build puts the module: `<package>/build/wasm`, reached from `src/kernels/wasm` or `dist/kernels/wasm`. */
const CANDIDATE_PATHS = [new URL('../../../build/wasm/rrm.wasm', import.meta.url), new URL('./rrm.wasm', import.meta.url)];

let loaded: { runtime: WasmRuntime } | { error: string } | undefined;

/** The shared runtime, or the reason it is unavailable. */
export function loadWasmRuntime(): { runtime: WasmRuntime } | { error: string } {
  loaded ??= instantiate();
  return loaded;
}

function instantiate(): { runtime: WasmRuntime } | { error: string } {
  if (typeof WebAssembly !== 'object') return { error: 'WebAssembly is not available' };
  const path = CANDIDATE_PATHS.map((url) => fileURLToPath(url)).find((candidate) => existsSync(candidate));
  if (!path) return { error: `rrm.wasm is not built (run \`npm run build:wasm\`; looked in ${CANDIDATE_PATHS.map((u) => fileURLToPath(u)).join(', ')})` };
  let module: WebAssembly.Module;
  try {
    module = new WebAssembly.Module(readFileSync(path));
  } catch (error) {
    return { error: `WebAssembly SIMD is not supported here (${(error as Error).message})` };
  }
  const memory = new WebAssembly.Memory({ initial: 2, maximum: 65536 });
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  const kernels = instance.exports as unknown as WasmKernelExports;
  return { runtime: { kernels, memory, allocator: new WasmAllocator(memory, HEAP_START) } };
}
