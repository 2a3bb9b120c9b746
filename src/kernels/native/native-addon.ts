/**
 * Loads the Node-API kernels (`build/Release/rrm_native.node`, built by `npm install` through
 * node-gyp). Where they are absent (no compiler at install time, a browser, a runtime without
 * Node-API) `loadNativeAddon` says why, and the caller falls back to the WebAssembly kernels.
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';
import { existsSync } from 'node:fs';

/** The native kernels' instruction sets, fastest first; a CPU supports a suffix of this list. */
export const NATIVE_INSTRUCTION_SETS = ['avx512', 'avx2', 'portable'] as const;
export type NativeInstructionSet = (typeof NATIVE_INSTRUCTION_SETS)[number];

/** The addon's functions (src/kernels/native/addon/binding.cc). Engine and weights blocks are ArrayBuffers it made. */
export interface NativeAddon {
  instructionSets(): NativeInstructionSet[];
  prepareWeights(instructionSet: NativeInstructionSet, geometry: Int32Array, packed: Float32Array, bias: Float32Array | null): ArrayBuffer;
  /** [block, byte offsets of projection, output, touched list, active pixels, status]. */
  createEngine(weights: ArrayBuffer, geometry: Int32Array, activation: number, leakyAlpha: number): [ArrayBuffer, number, number, number, number, number];
  /** Ĩ = input, P = W·Ĩ + b, output = f(P); the index of the input's first NaN/±Infinity, or -1. */
  recompute(engine: ArrayBuffer, input: Float32Array): number;
  detect(engine: ArrayBuffer, input: Float32Array, threshold: number, candidates: Int32Array | null, count: number, maxActive: number): number;
  sparseUpdate(engine: ArrayBuffer, activeCount: number, recompute: boolean): number;
  clearTouched(engine: ArrayBuffer): void;
  findNonFiniteDelta(engine: ArrayBuffer, activeCount: number): number;
  setThreads(engine: ArrayBuffer, threads: 1 | 2, minSplitWork: number): void;
  /** The pixels of `data` that differ from `previous` (all when null) converted through `tables` (256 per channel) into `output`, listed in `changed`; returns their count. */
  convertFrame(data: Uint8Array, previous: Uint8Array | null, output: Float32Array, tables: Float32Array, channels: number, changed: Int32Array | null): number;
}

/** Package root: this file is src/kernels/native/ (ts-node) or dist/kernels/native/ (built). */
const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
/** The built addon; RRM_NATIVE_ADDON names another build (to measure two builds against each other). */
export const NATIVE_ADDON_PATH = process.env.RRM_NATIVE_ADDON ?? resolve(PACKAGE_ROOT, 'build/Release/rrm_native.node');

let loaded: { addon: NativeAddon } | { error: string } | undefined;

export function loadNativeAddon(): { addon: NativeAddon } | { error: string } {
  loaded ??= load();
  return loaded;
}

function load(): { addon: NativeAddon } | { error: string } {
  if (process.env.RRM_NATIVE === '0') return { error: 'disabled by RRM_NATIVE=0' };
  if (!existsSync(NATIVE_ADDON_PATH)) return { error: `not built (${NATIVE_ADDON_PATH} is missing: npm install builds it where a C++ compiler is found)` };
  try {
    return { addon: createRequire(import.meta.url)(NATIVE_ADDON_PATH) as NativeAddon };
  } catch (error) {
    return { error: `failed to load ${NATIVE_ADDON_PATH}: ${(error as Error).message}` };
  }
}
