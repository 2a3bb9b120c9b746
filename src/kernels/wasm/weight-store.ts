/**
 * Weights copied into wasm memory once per `PreparedWeights` object (and runtime) and shared by every engine
 * (subscription) that uses them; freed when the last of those engines is disposed. One block holds
 * the packed weights (read by the scatter kernels), the same weights re-laid as dense panels (read
 * by the dense kernel, see `Field.DensePanels`) and the bias.
 */
import type { PreparedWeights } from '../backend.js';
import type { ConvGeometry } from '../geometry.js';
import type { WasmRuntime } from './kernel-module.js';

export interface WeightAddresses {
  readonly packed: number;
  readonly panels: number;
  readonly bias: number;
}

interface StoredWeights extends WeightAddresses {
  /** The geometry facts the layout depends on, checked on every reuse. */
  readonly shapeKey: string;
  users: number;
}

/** Addresses of `weights` in wasm memory (bias: `outChannels` floats, zeros when absent); counts a user. */
export function acquireWeights(runtime: WasmRuntime, weights: PreparedWeights, g: ConvGeometry): WeightAddresses {
  const shapeKey = `${g.inChannels},${g.outChannels},${g.groups},${g.kernelHeight},${g.kernelWidth}`;
  const stored = runtime.weights as WeakMap<PreparedWeights, StoredWeights>;
  let entry = stored.get(weights);
  if (entry && entry.shapeKey !== shapeKey) throw new Error('wasm backend: one PreparedWeights object used with two layer shapes');
  if (!entry) {
    const panels = densePanels(weights.packed, g);
    const packedBytes = roundUp(weights.packed.length * 4);
    const panelBytes = roundUp(panels.length * 4);
    const packed = runtime.allocator.allocate(packedBytes + panelBytes + g.outChannels * 4);
    const heap = new Float32Array(runtime.memory.buffer);
    heap.set(weights.packed, packed / 4);
    heap.set(panels, (packed + packedBytes) / 4);
    const bias = packed + packedBytes + panelBytes;
    if (weights.bias) heap.set(weights.bias.subarray(0, g.outChannels), bias / 4);
    else heap.fill(0, bias / 4, bias / 4 + g.outChannels);
    entry = { packed, panels: packed + packedBytes, bias, shapeKey, users: 0 };
    stored.set(weights, entry);
  }
  entry.users++;
  return entry;
}

/** Drops one user; the memory is freed with the last. */
export function releaseWeights(runtime: WasmRuntime, weights: PreparedWeights): void {
  const stored = runtime.weights as WeakMap<PreparedWeights, StoredWeights>;
  const entry = stored.get(weights);
  if (!entry) return;
  if (--entry.users === 0) {
    runtime.allocator.free(entry.packed);
    stored.delete(weights);
  }
}

/**
 * Packed `[tap, inC, outC/groups]` to panels `[group, block of 8 output channels, tap, inC/groups, 8]`
 * (only whole blocks of 8; the dense kernel reads the remaining channels from the packed weights).
 */
export function densePanels(packed: Float32Array, g: ConvGeometry): Float32Array {
  const taps = g.kernelHeight * g.kernelWidth;
  const inPerGroup = g.inChannels / g.groups;
  const outPerGroup = g.outChannels / g.groups;
  const blocks = outPerGroup >> 3;
  const panels = new Float32Array(g.groups * blocks * taps * inPerGroup * 8);
  let k = 0;
  for (let group = 0; group < g.groups; group++) {
    for (let block = 0; block < blocks; block++) {
      for (let t = 0; t < taps; t++) {
        for (let ci = 0; ci < inPerGroup; ci++) {
          const row = ((t * g.inChannels + group * inPerGroup + ci) * outPerGroup) + block * 8;
          for (let j = 0; j < 8; j++) panels[k++] = packed[row + j]!;
        }
      }
    }
  }
  return panels;
}

function roundUp(bytes: number): number {
  return Math.ceil(bytes / 64) * 64;
}
