/**
 * The native backend: the kernels of src/kernels/native/addon through Node-API, for the widest
 * instruction set this CPU runs (AVX-512, AVX2 with FMA, or portable), with layer state in native
 * memory. Where the addon is absent it falls back to the WebAssembly kernels with a one-line notice.
 */
import { NO_ACTIVATION, type KernelBackend, type PreparedWeights } from '../backend.js';
import { createDeltaEngine } from '../delta-engine.js';
import { convKind, type ConvGeometry, type ConvKind } from '../geometry.js';
import { createWasmBackend } from '../wasm/wasm-backend.js';
import { loadNativeAddon, type NativeAddon, type NativeInstructionSet } from './native-addon.js';
import { geometryFields, NativeConvState } from './native-state.js';

/**
 * Active fraction above which a layer kind recomputes densely. In isolation (`npm run bench --
 * kernels`, sparse section: AVX-512, changed pixels in 8x8 blobs) the sparse update beats the dense
 * conv up to above 80% on 1x1 and 3x3 convs, 14-29% on depthwise ones and 12% on the RGB stem; in
 * the whole network on real clips those crossovers (more sparse 1x1 frames, fewer sparse depthwise
 * ones) measured slower than these, which keep 1x1 layers off sparse updates at high activity
 * (their cache footprint then costs more than the isolated bench shows).
 */
const NATIVE_DENSE_CROSSOVER: Record<ConvKind, number> = { general: 0.6, pointwise: 0.55, depthwise: 0.3, narrow: 0.2 };

/**
 * Layer kinds whose sparse update recomputes the touched output pixels from Ĩ instead of
 * scattering deltas: narrow layers (an RGB stem), where the per-(pixel, tap) bookkeeping of the
 * scatter outweighs its few multiply-adds.
 */
const RECOMPUTED_KINDS: ReadonlySet<ConvKind> = new Set(['narrow']);

export function recomputesTouchedNatively(geometry: ConvGeometry): boolean {
  return RECOMPUTED_KINDS.has(convKind(geometry));
}

/**
 * Steps with less work than this many multiply-adds (or detection's equivalent) stay on one thread:
 * handing half to the helper costs about 1 µs, the time of 15-30 k multiply-adds; below 150 k the
 * saving is within the noise (measured on UltraFace's layers).
 */
const MIN_SPLIT_WORK = 150_000;

export interface NativeBackendOptions {
  /** Which kernels to run (default: the widest this CPU supports). */
  readonly instructionSet?: NativeInstructionSet;
  /**
   * 2 splits every large enough step of a layer (detection, the sparse update, dense recomputes)
   * with a native helper thread, each thread owning half of the output rows; default 1.
   */
  readonly threads?: 1 | 2;
  /** With 2 threads, the work (multiply-adds) below which a step stays on one thread (default 150,000; 0 splits every step). */
  readonly minSplitWork?: number;
  /** Where the fallback notice goes (default `console.warn`). */
  readonly notice?: (message: string) => void;
}

/** Whether the native kernels load here (and which instruction sets this CPU supports), and why not. */
export function nativeKernelStatus(): { available: true; instructionSets: NativeInstructionSet[] } | { available: false; reason: string } {
  const loaded = loadNativeAddon();
  return 'addon' in loaded ? { available: true, instructionSets: loaded.addon.instructionSets() } : { available: false, reason: loaded.error };
}

export function createNativeBackend(options: NativeBackendOptions = {}): KernelBackend {
  const loaded = loadNativeAddon();
  const threads = options.threads ?? 1;
  if (!('addon' in loaded)) {
    (options.notice ?? console.warn)(`rx-rrm: native kernels unavailable (${loaded.error}); using the WebAssembly kernels`);
    return createWasmBackend({ threads });
  }
  const addon = loaded.addon;
  const supported = addon.instructionSets();
  const instructionSet = options.instructionSet ?? supported[0]!;
  if (!supported.includes(instructionSet)) {
    throw new RangeError(`native instruction set '${instructionSet}' is not supported here; this CPU runs: ${supported.join(', ')}`);
  }
  const weightBlocks = new WeakMap<PreparedWeights, ArrayBuffer>();
  return {
    name: `native-${instructionSet}`,
    recipe: { factory: 'native', options: { instructionSet, threads, ...(options.minSplitWork !== undefined ? { minSplitWork: options.minSplitWork } : {}) } },
    denseCrossover: (geometry) => NATIVE_DENSE_CROSSOVER[convKind(geometry)],
    createConvEngine(geometry, weights, activation = NO_ACTIVATION) {
      return createDeltaEngine(geometry, () => {
        let block = weightBlocks.get(weights);
        if (!block) {
          block = prepareWeights(addon, instructionSet, geometry, weights);
          weightBlocks.set(weights, block);
        }
        return new NativeConvState(addon, geometry, block, activation, recomputesTouchedNatively(geometry), threads, options.minSplitWork ?? MIN_SPLIT_WORK);
      });
    },
  };
}

function prepareWeights(addon: NativeAddon, instructionSet: NativeInstructionSet, g: ConvGeometry, weights: PreparedWeights): ArrayBuffer {
  return addon.prepareWeights(instructionSet, geometryFields(g), weights.packed, weights.bias ?? null);
}
