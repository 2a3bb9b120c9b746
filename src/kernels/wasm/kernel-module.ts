/**
 * Instantiates the AssemblyScript kernels (`build/wasm/*.wasm`, built by `scripts/build-wasm.mjs`;
 * compiled by the host `platform`: read from disk on Node, fetched ahead in a browser) once per
 * process, instruction set and memory kind, each with its own memory, allocator and weight store
 * shared by all engines of that runtime. One-thread engines use an unshared memory: V8 copies into
 * shared memory about 3x slower, and every frame copies its input in. Engines with a helper thread use the shared-memory build.
 * Compiling the module is the feature test: an engine without WebAssembly SIMD (or relaxed SIMD)
 * rejects it.
 */
import { WasmAllocator } from './allocator.js';
import { platform } from './node-platform.js';

/** The module's exports (see `assembly/index.ts`). Pointers are byte addresses in `memory`. */
export interface WasmKernelExports {
  convDenseGeneral(header: number, rowStart: number, rowEnd: number, scratch: number): void;
  convDenseDepthwise(header: number, rowStart: number, rowEnd: number): void;
  detectActive(header: number, threshold: number, useCandidates: number, candidateCount: number, maxActive: number): number;
  findNonFinite(values: number, count: number): number;
  integrateWhole(header: number): number;
  clearTouched(header: number): void;
  scatterGeneral(header: number, activeCount: number): number;
  scatterDepthwise(header: number, activeCount: number): number;
  markTouched(header: number, activeCount: number): number;
  recomputeGeneral(header: number, from: number, to: number, scratch: number): void;
  recomputeDepthwise(header: number, from: number, to: number): void;
  activate(src: number, dst: number, count: number, kind: number, alpha: number): void;
  activateTouched(header: number, kind: number, alpha: number): void;
}

/**
 * `'relaxed-simd'` adds fused multiply-add (Node 22+, or Node 20 with
 * `--experimental-wasm-relaxed-simd`); `'simd'` is WebAssembly SIMD 128 only; `'auto'` takes the
 * first of those two that this engine accepts.
 */
export type InstructionSet = 'auto' | 'relaxed-simd' | 'simd';

export interface WasmRuntime {
  readonly instructionSet: Exclude<InstructionSet, 'auto'>;
  /** Whether `memory` is shared (and the module built for it), as a helper thread needs. */
  readonly shared: boolean;
  readonly kernels: WasmKernelExports;
  /** Compiled once; worker threads instantiate it again over the same shared memory. */
  readonly module: WebAssembly.Module;
  readonly memory: WebAssembly.Memory;
  readonly allocator: WasmAllocator;
  /** Per-runtime store of weights copied into `memory` (see `weight-store.ts`). */
  readonly weights: WeakMap<object, unknown>;
}

export type LoadResult = { runtime: WasmRuntime } | { error: string };

/** The kernels use no static data; the first page stays unused so that address 0 is never handed out. */
const HEAP_START = 65536;

/** The file of each build of the kernels (a browser fetches them by these names). */
export const KERNEL_FILES = {
  simd: { unshared: 'rrm.wasm', shared: 'rrm-shared.wasm' },
  'relaxed-simd': { unshared: 'rrm-relaxed.wasm', shared: 'rrm-relaxed-shared.wasm' },
} as const;

const loaded = new Map<string, LoadResult>();

/** The shared runtime for an instruction set and memory kind, or the reason it is unavailable. */
export function loadWasmRuntime(instructionSet: InstructionSet = 'auto', shared = false): LoadResult {
  const key = `${instructionSet}/${shared}`;
  let result = loaded.get(key);
  if (!result) {
    if (instructionSet === 'auto') {
      const relaxed = loadWasmRuntime('relaxed-simd', shared);
      result = 'runtime' in relaxed ? relaxed : loadWasmRuntime('simd', shared);
    } else {
      result = instantiate(instructionSet, shared);
    }
    loaded.set(key, result);
  }
  return result;
}

/** Forgets the runtimes that failed to load, so that the next request tries again (a browser after `loadWasmKernels`). */
export function forgetFailedLoads(): void {
  for (const [key, result] of loaded) if (!('runtime' in result)) loaded.delete(key);
}

function instantiate(instructionSet: Exclude<InstructionSet, 'auto'>, shared: boolean): LoadResult {
  if (typeof WebAssembly !== 'object') return { error: 'WebAssembly is not available' };
  const file = KERNEL_FILES[instructionSet][shared ? 'shared' : 'unshared'];
  const module = platform.kernelModule(file, instructionSet === 'simd' ? 'SIMD' : 'relaxed SIMD');
  if (!(module instanceof WebAssembly.Module)) return module;
  const memory = shared
    ? new WebAssembly.Memory({ initial: 2, maximum: 65536, shared: true })
    : new WebAssembly.Memory({ initial: 2, maximum: 65536 });
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  const kernels = instance.exports as unknown as WasmKernelExports;
  return { runtime: { instructionSet, shared, kernels, module, memory, allocator: new WasmAllocator(memory, HEAP_START), weights: new WeakMap() } };
}
