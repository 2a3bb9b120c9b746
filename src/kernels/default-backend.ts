/**
 * The backend every operator, model and the command line use unless told otherwise: the fastest
 * that loads here. Native kernels, else WebAssembly SIMD, else plain JavaScript, each fallback
 * announced once in one line (by the backend that falls back).
 */
import type { KernelBackend } from './backend.js';
import { createNativeBackend } from './native/native-backend.js';

let fastest: KernelBackend | undefined;

export function defaultBackend(): KernelBackend {
  fastest ??= createNativeBackend();
  return fastest;
}
