/**
 * Packed weights and bias copied into wasm memory once per `PreparedWeights` object and shared by
 * every engine (subscription) that uses them; freed when the last of those engines is disposed.
 */
import type { PreparedWeights } from '../backend.js';
import type { WasmRuntime } from './kernel-module.js';

interface StoredWeights {
  readonly address: number;
  readonly biasAddress: number;
  readonly outChannels: number;
  users: number;
}

const stored = new WeakMap<PreparedWeights, StoredWeights>();

/** Addresses of `weights` in wasm memory (bias: `outChannels` floats, zeros when absent); counts a user. */
export function acquireWeights(runtime: WasmRuntime, weights: PreparedWeights, outChannels: number): { weights: number; bias: number } {
  let entry = stored.get(weights);
  if (!entry || entry.outChannels !== outChannels) {
    if (entry) throw new Error('wasm backend: one PreparedWeights object used with two output channel counts');
    const weightBytes = Math.ceil(weights.packed.length / 16) * 64;
    const address = runtime.allocator.allocate(weightBytes + outChannels * 4);
    const heap = new Float32Array(runtime.memory.buffer);
    heap.set(weights.packed, address / 4);
    const biasAddress = address + weightBytes;
    if (weights.bias) heap.set(weights.bias.subarray(0, outChannels), biasAddress / 4);
    else heap.fill(0, biasAddress / 4, biasAddress / 4 + outChannels);
    entry = { address, biasAddress, outChannels, users: 0 };
    stored.set(weights, entry);
  }
  entry.users++;
  return { weights: entry.address, bias: entry.biasAddress };
}

/** Drops one user; the memory is freed with the last. */
export function releaseWeights(runtime: WasmRuntime, weights: PreparedWeights): void {
  const entry = stored.get(weights);
  if (!entry) return;
  if (--entry.users === 0) {
    runtime.allocator.free(entry.address);
    stored.delete(weights);
  }
}
