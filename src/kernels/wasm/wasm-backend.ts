/**
 * The WebAssembly SIMD backend: the same results, multiply-add counts and errors as the plain-JS
 * backend (`js-backend.ts`), with weights and layer state in wasm memory. Where the module cannot
 * be loaded (not built, or no WebAssembly SIMD) it falls back to the JS backend with a one-line notice.
 */
import { NO_ACTIVATION, type KernelBackend } from '../backend.js';
import { convKind, type ConvKind } from '../geometry.js';
import { jsBackend } from '../js/js-backend.js';
import { createDeltaEngine } from '../delta-engine.js';
import { loadWasmRuntime, type InstructionSet } from './kernel-module.js';
import { WasmConvState } from './wasm-state.js';
import { helperThread } from './helper-thread.js';
import { platform } from './node-platform.js';

/**
 * Measured by `bench/kernels.bench.ts` (random and blob-shaped active pixels, input copy and
 * detection included), the sparse update reaches the dense conv's time at: 3x3 64->64 on 56x56
 * 67-73% active pixels (84% with fused multiply-add); UltraFace-style 1x1 convs above 50%;
 * depthwise convs only 15-35% (little arithmetic per pixel, so the per-pixel bookkeeping weighs more);
 * UltraFace's RGB stem (3x3 stride 2, 3->16 on 240x320), which recomputes its touched outputs
 * (see `recomputesTouched`), at 10-20% (scattered active pixels at the low end, blobs at the high end).
 */
const WASM_DENSE_CROSSOVER: Record<'simd' | 'relaxed-simd', Record<ConvKind, number>> = {
  simd: { general: 0.6, pointwise: 0.55, depthwise: 0.25, narrow: 0.15 },
  'relaxed-simd': { general: 0.75, pointwise: 0.55, depthwise: 0.25, narrow: 0.15 },
};

export interface WasmBackendOptions {
  /** Which build of the kernels to use (default `'auto'`: fused multiply-add where the engine has relaxed SIMD). */
  readonly instructionSet?: InstructionSet;
  /**
   * 2 adds a worker over the shared wasm memory that takes half of each dense conv (keyframes, dense
   * fallbacks) and of each large pointwise sparse update; `'auto'` uses 2 where the machine has 2 or
   * more cores. Default 1. It pays off where many frames go dense; on mostly sparse video it was no
   * faster than one thread (docs/architecture.md, "Two threads").
   */
  readonly threads?: 1 | 2 | 'auto';
  /** Where the fallback notice goes (default `console.warn`). */
  readonly notice?: (message: string) => void;
}

/** Whether the wasm kernels load here, and why not. */
export function wasmKernelStatus(
  instructionSet: InstructionSet = 'auto',
  shared = false,
): { available: true; instructionSet: 'simd' | 'relaxed-simd' } | { available: false; reason: string } {
  const loaded = loadWasmRuntime(instructionSet, shared);
  return 'runtime' in loaded ? { available: true, instructionSet: loaded.runtime.instructionSet } : { available: false, reason: loaded.error };
}

export function createWasmBackend(options: WasmBackendOptions = {}): KernelBackend {
  let noticed = false;
  const threads = options.threads === 'auto' ? (platform.hardwareThreads() >= 2 ? 2 : 1) : (options.threads ?? 1);
  const runtime = () => {
    const loaded = loadWasmRuntime(options.instructionSet, threads === 2);
    return 'runtime' in loaded ? loaded.runtime : undefined;
  };
  return {
    get name() {
      return runtime() ? 'wasm' : jsBackend.name;
    },
    recipe: { factory: 'wasm', options: { threads, ...(options.instructionSet !== undefined ? { instructionSet: options.instructionSet } : {}) } },
    denseCrossover(geometry) {
      const loaded = runtime();
      return loaded ? WASM_DENSE_CROSSOVER[loaded.instructionSet][convKind(geometry)] : jsBackend.denseCrossover(geometry);
    },
    createConvEngine(geometry, weights, activation = NO_ACTIVATION) {
      const loaded = runtime();
      if (loaded) return createDeltaEngine(geometry, () => new WasmConvState(loaded, geometry, weights, activation, threads === 2 ? helperThread(loaded) : undefined));
      if (!noticed) {
        noticed = true;
        const status = wasmKernelStatus(options.instructionSet, threads === 2);
        (options.notice ?? console.warn)(`rx-rrm: using the plain-JS kernels: ${status.available ? '' : status.reason}`);
      }
      return jsBackend.createConvEngine(geometry, weights, activation);
    },
  };
}

/** The default wasm backend (one thread). */
export const wasmBackend: KernelBackend = createWasmBackend();
