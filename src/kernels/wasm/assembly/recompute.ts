// @ts-nocheck: AssemblyScript (compiled by scripts/build-wasm.mjs), not TypeScript: its types (usize, v128) and builtins are unknown to tsc.
/**
 * Sparse delta convolution, gather form: after `detectActive` has integrated the active pixels
 * into Ĩ, recompute `P = W·Ĩ + b` at every output pixel they reach, with the dense kernels' tiles.
 * It does more multiply-adds than the scatter form (every tap of every touched output pixel, where
 * the scatter does only the active pixels' taps) but none of the scatter's per-(pixel, tap)
 * bookkeeping, which dominates layers with little arithmetic per input pixel: RGB stems (3 input
 * channels) and depthwise convs. The result is the same P (exactly W·Ĩ + b, with no rounding
 * carried over from earlier deltas). `markTouched` lists the output pixels first; the recompute
 * kernels then take a range of that list, so that two threads can share it (no pixel is written twice).
 */
import { Field } from './header';
import { field, pointer } from './fields';
import { collectReach } from './scatter';
import { fourPixels } from './dense';
import { depthwisePixel } from './depthwise';

/** Touched pixels `from..to` of any groups; `scratch` as for `convDenseGeneral`. */
export function recomputeGeneral(header: usize, from: i32, to: i32, scratch: usize): void {
  const inC = field(header, Field.InChannels);
  const outC = field(header, Field.OutChannels);
  const groups = field(header, Field.Groups);
  const taps = field(header, Field.KernelHeight) * field(header, Field.KernelWidth);
  const weights = pointer(header, Field.Weights);
  const panels = pointer(header, Field.DensePanels);
  const bias = pointer(header, Field.Bias);
  const projection = pointer(header, Field.Projection);
  const tapOffsets = pointer(header, Field.TapOffsets);
  const list = pointer(header, Field.TouchedList);
  const inPerGroup = inC / groups;
  const outPerGroup = outC / groups;
  const weightRow = <usize>outPerGroup << 2;
  const weightTap = <usize>(inC * outPerGroup) << 2;
  const outPixel = <usize>outC << 2;
  const panelBytes8 = <usize>(taps * inPerGroup) << 2;
  const groupPanelBytes = <usize>((outPerGroup >> 3) << 3) * panelBytes8;
  const last = to - 1;
  for (let q = from; q < to; q += 4) {
    // A short last block repeats its last pixel: recomputing a pixel twice writes the same values.
    const p0 = load<i32>(list + (<usize>q << 2));
    const p1 = load<i32>(list + (<usize>min(q + 1, last) << 2));
    const p2 = load<i32>(list + (<usize>min(q + 2, last) << 2));
    const p3 = load<i32>(list + (<usize>min(q + 3, last) << 2));
    const s0 = inputOf(header, p0, inC);
    const s1 = inputOf(header, p1, inC);
    const s2 = inputOf(header, p2, inC);
    const s3 = inputOf(header, p3, inC);
    const d0 = projection + <usize>p0 * outPixel;
    const d1 = projection + <usize>p1 * outPixel;
    const d2 = projection + <usize>p2 * outPixel;
    const d3 = projection + <usize>p3 * outPixel;
    for (let group = 0; group < groups; group++) {
      const groupIn = <usize>(group * inPerGroup) << 2;
      const groupOut = <usize>(group * outPerGroup) << 2;
      fourPixels(s0 + groupIn, s1 + groupIn, s2 + groupIn, s3 + groupIn, d0 + groupOut, d1 + groupOut, d2 + groupOut, d3 + groupOut,
        panels + <usize>group * groupPanelBytes, panelBytes8, weights + (<usize>(group * inPerGroup * outPerGroup) << 2),
        weightRow, weightTap, tapOffsets, taps, inPerGroup, outPerGroup, bias + groupOut, scratch);
    }
  }
}

/** Touched pixels `from..to` of a depthwise layer (groups = inC = outC). */
export function recomputeDepthwise(header: usize, from: i32, to: i32): void {
  const channels = field(header, Field.InChannels);
  const taps = field(header, Field.KernelHeight) * field(header, Field.KernelWidth);
  const weights = pointer(header, Field.Weights);
  const bias = pointer(header, Field.Bias);
  const projection = pointer(header, Field.Projection);
  const tapOffsets = pointer(header, Field.TapOffsets);
  const list = pointer(header, Field.TouchedList);
  const pixelBytes = <usize>channels << 2;
  for (let q = from; q < to; q++) {
    const p = load<i32>(list + (<usize>q << 2));
    depthwisePixel(inputOf(header, p, channels), projection + <usize>p * pixelBytes, 0, channels, weights, pixelBytes, tapOffsets, taps, bias);
  }
}

/** The touched list: every output pixel some active pixel reaches through some tap; returns its length. */
export function markTouched(header: usize, activeCount: i32): i32 {
  const activePixels = pointer(header, Field.ActivePixels);
  const reach = pointer(header, Field.Reach);
  for (let k = 0; k < activeCount; k++) collectReach(header, load<i32>(activePixels + (<usize>k << 2)), reach);
  return field(header, Field.TouchedCount);
}

/** Address in the zero-bordered Ĩ of output pixel `p`'s tap (0, 0) input. */
@inline function inputOf(header: usize, p: i32, inC: i32): usize {
  const outW = field(header, Field.OutWidth);
  const oy = p / outW;
  const ox = p - oy * outW;
  const row = oy * field(header, Field.StrideH) * field(header, Field.PaddedWidth) + ox * field(header, Field.StrideW);
  return pointer(header, Field.Integrated) + (<usize>(row * inC) << 2);
}
