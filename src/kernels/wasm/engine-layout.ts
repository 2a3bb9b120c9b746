/**
 * Where one conv engine's state lives inside its single block of wasm memory, and the header
 * fields the kernels read. Pure arithmetic over the geometry.
 */
import type { ConvGeometry } from '../geometry.js';
import { Field } from './assembly/header.js';
import type { WeightAddresses } from './weight-store.js';

export interface EngineLayout {
  /** Total bytes of the block (header and every buffer). */
  readonly bytes: number;
  readonly paddedHeight: number;
  readonly paddedWidth: number;
  /** Byte offsets within the block. */
  readonly header: number;
  readonly integrated: number;
  readonly staged: number;
  readonly projection: number;
  /** f(P): the layer's output, kept whole in wasm memory (the next layer reads it in place). */
  readonly activated: number;
  readonly tapOffsets: number;
  readonly activePixels: number;
  readonly deltas: number;
  readonly candidates: number;
  readonly touchedMarks: number;
  readonly touchedList: number;
  readonly reach: number;
  readonly tapList: number;
  /** Two scratch areas of the dense kernel (one per thread), `denseScratchBytes` each. */
  readonly denseScratch: number;
  readonly denseScratchBytes: number;
}

export function engineLayout(g: ConvGeometry): EngineLayout {
  const inPixels = g.inHeight * g.inWidth;
  const outPixels = g.outHeight * g.outWidth;
  const taps = g.kernelHeight * g.kernelWidth;
  // Ĩ gets a zero border wide enough for every tap of every output pixel, so dense kernels never bounds-check.
  const paddedHeight = Math.max(g.padTop + g.inHeight, (g.outHeight - 1) * g.strideH + (g.kernelHeight - 1) * g.dilationH + 1);
  const paddedWidth = Math.max(g.padLeft + g.inWidth, (g.outWidth - 1) * g.strideW + (g.kernelWidth - 1) * g.dilationW + 1);
  let bytes = 0;
  const section = (size: number): number => {
    const offset = bytes;
    bytes += Math.ceil(size / 16) * 16;
    return offset;
  };
  const header = section(Field.Count * 4);
  const integrated = section(paddedHeight * paddedWidth * g.inChannels * 4);
  const staged = section(inPixels * g.inChannels * 4);
  const projection = section(outPixels * g.outChannels * 4);
  const activated = section(outPixels * g.outChannels * 4);
  const tapOffsets = section(taps * 4);
  const activePixels = section(inPixels * 4);
  const deltas = section(inPixels * g.inChannels * 4);
  const candidates = section(inPixels * 4);
  const touchedMarks = section(outPixels);
  const touchedList = section(outPixels * 4);
  const reach = section(taps * 8);
  const tapList = section(inPixels * 8);
  // The dense kernel gathers the receptive fields of 4 output pixels: `[kH·kW·inC/groups, 4]` floats.
  const denseScratchBytes = Math.ceil((taps * (g.inChannels / g.groups) * 4 * 4) / 64) * 64;
  const denseScratch = section(2 * denseScratchBytes);
  return {
    bytes, paddedHeight, paddedWidth, header, integrated, staged, projection, activated, tapOffsets,
    activePixels, deltas, candidates, touchedMarks, touchedList, reach, tapList, denseScratch, denseScratchBytes,
  };
}

/** Writes the header and tap offsets of an engine whose block starts at `base`. */
export function writeHeader(
  heap: Int32Array,
  base: number,
  layout: EngineLayout,
  g: ConvGeometry,
  weights: WeightAddresses,
): void {
  const h = (base + layout.header) / 4;
  const fields: [Field, number][] = [
    [Field.InHeight, g.inHeight], [Field.InWidth, g.inWidth], [Field.InChannels, g.inChannels],
    [Field.OutHeight, g.outHeight], [Field.OutWidth, g.outWidth], [Field.OutChannels, g.outChannels],
    [Field.KernelHeight, g.kernelHeight], [Field.KernelWidth, g.kernelWidth],
    [Field.StrideH, g.strideH], [Field.StrideW, g.strideW], [Field.DilationH, g.dilationH], [Field.DilationW, g.dilationW],
    [Field.PadTop, g.padTop], [Field.PadLeft, g.padLeft], [Field.Groups, g.groups],
    [Field.PaddedWidth, layout.paddedWidth],
    [Field.Integrated, base + layout.integrated], [Field.Staged, base + layout.staged],
    [Field.Weights, weights.packed], [Field.DensePanels, weights.panels], [Field.Bias, weights.bias], [Field.Projection, base + layout.projection],
    [Field.TapOffsets, base + layout.tapOffsets], [Field.ActivePixels, base + layout.activePixels],
    [Field.Deltas, base + layout.deltas], [Field.Candidates, base + layout.candidates],
    [Field.TouchedMarks, base + layout.touchedMarks], [Field.TouchedList, base + layout.touchedList],
    [Field.TouchedCount, 0], [Field.Reach, base + layout.reach], [Field.TapList, base + layout.tapList],
    [Field.Activated, base + layout.activated],
  ];
  for (const [which, value] of fields) heap[h + which] = value;
  const taps = (base + layout.tapOffsets) / 4;
  for (let ky = 0; ky < g.kernelHeight; ky++) {
    for (let kx = 0; kx < g.kernelWidth; kx++) {
      heap[taps + ky * g.kernelWidth + kx] = (ky * g.dilationH * layout.paddedWidth + kx * g.dilationW) * g.inChannels * 4;
    }
  }
}
