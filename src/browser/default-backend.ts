/**
 * The browser bundle's twin of src/kernels/default-backend.ts (no native kernels in a page): the
 * backend of the last `loadWasmKernels()`, else the one-thread wasm backend, which falls back to
 * plain JavaScript with a one-line notice when the kernels were never loaded.
 */
import type { KernelBackend } from '../kernels/backend.js';
import { wasmBackend } from '../kernels/wasm/wasm-backend.js';

let loaded: KernelBackend | undefined;

/** Called by `loadWasmKernels`: its backend becomes the default of operators created afterwards. */
export function useAsDefaultBackend(backend: KernelBackend): void {
  loaded = backend;
}

export function defaultBackend(): KernelBackend {
  return loaded ?? wasmBackend;
}
