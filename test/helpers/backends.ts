/**
 * Every kernel backend the suites run on. Tests that must hold on each backend (option validation,
 * the reliability fuzz) iterate over this list: a new backend is tested by adding it here.
 */
import type { KernelBackend } from '../../src/kernels/backend.js';
import { jsBackend } from '../../src/kernels/js-backend.js';
import { wasmBackend } from '../../src/kernels/wasm/wasm-backend.js';

export interface NamedBackend {
  /** What the tests call it (and the key a child process uses to pick it: see `backendByName`). */
  readonly name: string;
  readonly backend: KernelBackend;
}

export const BACKENDS: readonly NamedBackend[] = [
  { name: 'js', backend: jsBackend },
  { name: 'wasm', backend: wasmBackend },
];

export function backendByName(name: string): KernelBackend {
  const found = BACKENDS.find((b) => b.name === name);
  if (!found) throw new Error(`no backend named '${name}': expected one of ${BACKENDS.map((b) => b.name).join(', ')}`);
  return found.backend;
}
