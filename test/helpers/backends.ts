/**
 * Every kernel backend this machine can run, for the suites that must hold on each: the plain-JS
 * backend, both WebAssembly builds, and the native kernels for every instruction set this CPU
 * supports. What cannot run here is listed with the reason (tests report it as a skip).
 */
import { setFlagsFromString } from 'node:v8';
import type { KernelBackend } from '../../src/kernels/backend.js';
import type { ConvGeometry } from '../../src/kernels/geometry.js';
import { jsBackend } from '../../src/kernels/js/js-backend.js';
import { NATIVE_INSTRUCTION_SETS } from '../../src/kernels/native/native-addon.js';
import { createNativeBackend, nativeKernelStatus, recomputesTouchedNatively } from '../../src/kernels/native/native-backend.js';
import { createWasmBackend, wasmKernelStatus } from '../../src/kernels/wasm/wasm-backend.js';
import { recomputesTouched } from '../../src/kernels/wasm/wasm-state.js';

// Node 20 accepts relaxed SIMD behind this flag (Node 22+ by default): both wasm builds get tested.
setFlagsFromString('--experimental-wasm-relaxed-simd');

export interface BackendUnderTest {
  readonly label: string;
  readonly backend: KernelBackend;
  /** Whether its sparse update recomputes the touched pixels of such a layer (all their taps) instead of scattering. */
  recomputes(g: ConvGeometry): boolean;
}

export function backendsUnderTest(): { available: BackendUnderTest[]; unavailable: { label: string; reason: string }[] } {
  const available: BackendUnderTest[] = [{ label: 'js', backend: jsBackend, recomputes: () => false }];
  const unavailable: { label: string; reason: string }[] = [];
  for (const set of ['simd', 'relaxed-simd'] as const) {
    const status = wasmKernelStatus(set);
    if (status.available) available.push({ label: `wasm ${set}`, backend: createWasmBackend({ instructionSet: set }), recomputes: recomputesTouched });
    else unavailable.push({ label: `wasm ${set}`, reason: status.reason });
  }
  const native = nativeKernelStatus();
  for (const set of NATIVE_INSTRUCTION_SETS) {
    if (native.available && native.instructionSets.includes(set)) {
      available.push({ label: `native ${set}`, backend: createNativeBackend({ instructionSet: set }), recomputes: recomputesTouchedNatively });
      // Two threads splitting every step, however small: the split paths on every shape.
      available.push({ label: `native ${set}, 2 threads`, backend: createNativeBackend({ instructionSet: set, threads: 2, minSplitWork: 0 }), recomputes: recomputesTouchedNatively });
    } else {
      unavailable.push({ label: `native ${set}`, reason: native.available ? 'this CPU lacks the instructions' : native.reason });
    }
  }
  return { available, unavailable };
}

/** Multiply-adds a backend's sparse update reports for `touched` output pixels when it recomputes them. */
export function recomputeMacs(g: ConvGeometry, touched: number): number {
  return (touched * g.kernelHeight * g.kernelWidth * (g.inChannels / g.groups) * g.outChannels);
}


/** A backend of `backendsUnderTest()` by its label: how a worker or child process is told which to use. */
export function backendByName(label: string): KernelBackend {
  const found = backendsUnderTest().available.find((b) => b.label === label);
  if (!found) throw new Error(`no backend labelled '${label}' runs here: expected one of ${backendsUnderTest().available.map((b) => b.label).join(', ')}`);
  return found.backend;
}
