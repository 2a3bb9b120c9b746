// @ts-nocheck: AssemblyScript (compiled by scripts/build-wasm.mjs), not TypeScript: its types (usize, v128) and builtins are unknown to tsc.
/**
 * Dense convolution (keyframes and the dense fallback) over the zero-bordered integrated input,
 * so no tap ever needs a bounds check. im2col + GEMM, 4 output pixels at a time: their receptive
 * fields are gathered into an L1-sized scratch (`gatherFields`), then a register tile of 4 pixels x
 * 8 output channels (8 f32x4 accumulators) runs over it against a contiguous weight panel; each
 * weight vector serves 4 pixels and each input value (splatted) 8 channels. Larger tiles (6x8) or
 * unrolling measured slower: V8 spills the accumulators.
 */
import { Field } from './header';
import { field, madd, pointer } from './fields';

/**
 * General conv: any kernel, stride, dilation and groups. With a 1x1 kernel this is the pointwise GEMM.
 * Computes output rows `rowStart..rowEnd` only, using `scratch` (see `Field.DenseScratch`), so that
 * two threads can share one layer, each with its own rows and scratch.
 */
export function convDenseGeneral(header: usize, rowStart: i32, rowEnd: i32, scratch: usize): void {
  const inC = field(header, Field.InChannels);
  const outC = field(header, Field.OutChannels);
  const outW = field(header, Field.OutWidth);
  const strideH = field(header, Field.StrideH);
  const strideW = field(header, Field.StrideW);
  const paddedW = field(header, Field.PaddedWidth);
  const groups = field(header, Field.Groups);
  const taps = field(header, Field.KernelHeight) * field(header, Field.KernelWidth);
  const integrated = pointer(header, Field.Integrated);
  const weights = pointer(header, Field.Weights);
  const bias = pointer(header, Field.Bias);
  const projection = pointer(header, Field.Projection);
  const tapOffsets = pointer(header, Field.TapOffsets);
  const inPerGroup = inC / groups;
  const outPerGroup = outC / groups;
  const pixelStep = <usize>(strideW * inC) << 2;
  const weightRow = <usize>outPerGroup << 2;
  const weightTap = <usize>(inC * outPerGroup) << 2;
  const outPixel = <usize>outC << 2;
  const panels = pointer(header, Field.DensePanels);
  const fields = scratch;
  // One panel holds 8 output channels; `co * panelBytes8` is the panel of the block starting at co.
  const panelBytes8 = <usize>(taps * inPerGroup) << 2;
  const groupPanelBytes = <usize>((outPerGroup >> 3) << 3) * panelBytes8;
  for (let group = 0; group < groups; group++) {
    const groupPanels = panels + <usize>group * groupPanelBytes;
    const groupIn = <usize>(group * inPerGroup) << 2;
    const groupWeights = weights + (<usize>(group * inPerGroup * outPerGroup) << 2);
    const groupOut = <usize>(group * outPerGroup) << 2;
    for (let oy = rowStart; oy < rowEnd; oy++) {
      const rowIn = integrated + (<usize>(oy * strideH * paddedW * inC) << 2) + groupIn;
      const rowOut = projection + (<usize>(oy * outW * outC) << 2) + groupOut;
      let ox = 0;
      for (; ox + 4 <= outW; ox += 4) {
        const src = rowIn + <usize>ox * pixelStep;
        const dst = rowOut + <usize>ox * outPixel;
        fourPixels(src, src + pixelStep, src + 2 * pixelStep, src + 3 * pixelStep, dst, dst + outPixel, dst + 2 * outPixel, dst + 3 * outPixel,
          groupPanels, panelBytes8, groupWeights, weightRow, weightTap, tapOffsets, taps, inPerGroup, outPerGroup, bias + groupOut, fields);
      }
      for (; ox < outW; ox++) {
        const src = rowIn + <usize>ox * pixelStep;
        const dst = rowOut + <usize>ox * outPixel;
        let co = 0;
        for (; co + 8 <= outPerGroup; co += 8) {
          const c = <usize>co << 2;
          tile1x8(src, groupPanels + <usize>co * panelBytes8, tapOffsets, taps, inPerGroup, dst + c, bias + groupOut + c);
        }
        for (; co < outPerGroup; co++) {
          const c = <usize>co << 2;
          tile1x1(src, groupWeights + c, weightRow, weightTap, tapOffsets, taps, inPerGroup, dst + c, bias + groupOut + c);
        }
      }
    }
  }
}

/**
 * Four output pixels of one group, all its output channels: their receptive fields (tap (0, 0)
 * inputs at `s0..s3`) are gathered once for the 8-channel tiles, then come 4-channel tiles and single
 * values; P is written at `d0..d3` (the group's first channel), `bias` is the group's. The dense conv
 * passes 4 neighbours of a row, the recompute any 4 touched pixels.
 */
@inline export function fourPixels(
  s0: usize, s1: usize, s2: usize, s3: usize, d0: usize, d1: usize, d2: usize, d3: usize,
  panels: usize, panelBytes8: usize, weights: usize, weightRow: usize, weightTap: usize,
  tapOffsets: usize, taps: i32, inPerGroup: i32, outPerGroup: i32, bias: usize, fields: usize,
): void {
  let co = 0;
  if (outPerGroup >= 8) gatherFields(s0, s1, s2, s3, tapOffsets, taps, inPerGroup, fields);
  for (; co + 8 <= outPerGroup; co += 8) {
    const c = <usize>co << 2;
    tile4x8(fields, taps * inPerGroup, panels + <usize>co * panelBytes8, d0 + c, d1 + c, d2 + c, d3 + c, bias + c);
  }
  for (; co + 4 <= outPerGroup; co += 4) {
    const c = <usize>co << 2;
    tile4x4(s0, s1, s2, s3, weights + c, weightRow, weightTap, tapOffsets, taps, inPerGroup, d0 + c, d1 + c, d2 + c, d3 + c, bias + c);
  }
  for (; co < outPerGroup; co++) {
    const c = <usize>co << 2;
    const w = weights + c;
    tile1x1(s0, w, weightRow, weightTap, tapOffsets, taps, inPerGroup, d0 + c, bias + c);
    tile1x1(s1, w, weightRow, weightTap, tapOffsets, taps, inPerGroup, d1 + c, bias + c);
    tile1x1(s2, w, weightRow, weightTap, tapOffsets, taps, inPerGroup, d2 + c, bias + c);
    tile1x1(s3, w, weightRow, weightTap, tapOffsets, taps, inPerGroup, d3 + c, bias + c);
  }
}

/**
 * Gathers the receptive fields of 4 output pixels (whose tap (0, 0) inputs are at `s0..s3`) into
 * `[tap, ci, pixel]` order: the 4 pixels' values of one (tap, input channel) become adjacent, so the
 * tile kernel reads them at constant offsets from a single pointer (an im2col of 4 rows, L1-sized).
 */
function gatherFields(s0: usize, s1: usize, s2: usize, s3: usize, tapOffsets: usize, taps: i32, inPerGroup: i32, fields: usize): void {
  let out = fields;
  for (let t = 0; t < taps; t++) {
    const offset = <usize>load<i32>(tapOffsets + (<usize>t << 2));
    const x0 = s0 + offset;
    const x1 = s1 + offset;
    const x2 = s2 + offset;
    const x3 = s3 + offset;
    let c: usize = 0;
    const vectorEnd = <usize>(inPerGroup & ~3) << 2;
    for (; c < vectorEnd; c += 16) {
      // 4x4 transpose: rows are pixels, columns channels.
      const r0 = v128.load(x0 + c);
      const r1 = v128.load(x1 + c);
      const r2 = v128.load(x2 + c);
      const r3 = v128.load(x3 + c);
      const t0 = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5);
      const t1 = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7);
      const t2 = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5);
      const t3 = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7);
      v128.store(out, v128.shuffle<f32>(t0, t2, 0, 1, 4, 5));
      v128.store(out, v128.shuffle<f32>(t0, t2, 2, 3, 6, 7), 16);
      v128.store(out, v128.shuffle<f32>(t1, t3, 0, 1, 4, 5), 32);
      v128.store(out, v128.shuffle<f32>(t1, t3, 2, 3, 6, 7), 48);
      out += 64;
    }
    const end = <usize>inPerGroup << 2;
    for (; c < end; c += 4) {
      store<f32>(out, load<f32>(x0 + c));
      store<f32>(out, load<f32>(x1 + c), 4);
      store<f32>(out, load<f32>(x2 + c), 8);
      store<f32>(out, load<f32>(x3 + c), 12);
      out += 16;
    }
  }
}

/** 4 output pixels (written at `d0..d3`) x 8 output channels: gathered fields (`depth` rows of 4) times one weight panel. */
@inline function tile4x8(fields: usize, depth: i32, panel: usize, d0: usize, d1: usize, d2: usize, d3: usize, bias: usize): void {
  const b0 = v128.load(bias);
  const b1 = v128.load(bias, 16);
  let a00 = b0, a01 = b1, a10 = b0, a11 = b1, a20 = b0, a21 = b1, a30 = b0, a31 = b1;
  let x = fields;
  let wp = panel;
  const end = fields + (<usize>depth << 4);
  while (x < end) {
    const w0 = v128.load(wp);
    const w1 = v128.load(wp, 16);
    let s = v128.load32_splat(x);
    a00 = madd(a00, s, w0);
    a01 = madd(a01, s, w1);
    s = v128.load32_splat(x, 4);
    a10 = madd(a10, s, w0);
    a11 = madd(a11, s, w1);
    s = v128.load32_splat(x, 8);
    a20 = madd(a20, s, w0);
    a21 = madd(a21, s, w1);
    s = v128.load32_splat(x, 12);
    a30 = madd(a30, s, w0);
    a31 = madd(a31, s, w1);
    x += 16;
    wp += 32;
  }
  v128.store(d0, a00);
  v128.store(d0, a01, 16);
  v128.store(d1, a10);
  v128.store(d1, a11, 16);
  v128.store(d2, a20);
  v128.store(d2, a21, 16);
  v128.store(d3, a30);
  v128.store(d3, a31, 16);
}

/** 4 output pixels (tap (0, 0) inputs at `s0..s3`, written at `d0..d3`) x 4 output channels, straight from Ĩ. */
@inline function tile4x4(
  s0: usize, s1: usize, s2: usize, s3: usize, w: usize, weightRow: usize, weightTap: usize,
  tapOffsets: usize, taps: i32, inPerGroup: i32, d0: usize, d1: usize, d2: usize, d3: usize, bias: usize,
): void {
  // The other pixels as offsets from the first (wrapping unsigned arithmetic), so one pointer walks.
  const o1 = s1 - s0;
  const o2 = s2 - s0;
  const o3 = s3 - s0;
  const b0 = v128.load(bias);
  let a0 = b0, a1 = b0, a2 = b0, a3 = b0;
  for (let t = 0; t < taps; t++) {
    let x = s0 + <usize>load<i32>(tapOffsets + (<usize>t << 2));
    let wp = w + <usize>t * weightTap;
    for (let ci = 0; ci < inPerGroup; ci++) {
      const w0 = v128.load(wp);
      a0 = madd(a0, v128.load32_splat(x), w0);
      a1 = madd(a1, v128.load32_splat(x + o1), w0);
      a2 = madd(a2, v128.load32_splat(x + o2), w0);
      a3 = madd(a3, v128.load32_splat(x + o3), w0);
      x += 4;
      wp += weightRow;
    }
  }
  v128.store(d0, a0);
  v128.store(d1, a1);
  v128.store(d2, a2);
  v128.store(d3, a3);
}

@inline function tile1x8(src: usize, panel: usize, tapOffsets: usize, taps: i32, inPerGroup: i32, dst: usize, bias: usize): void {
  let a0 = v128.load(bias);
  let a1 = v128.load(bias, 16);
  let wp = panel;
  for (let t = 0; t < taps; t++) {
    let x = src + <usize>load<i32>(tapOffsets + (<usize>t << 2));
    for (let ci = 0; ci < inPerGroup; ci++) {
      const s0 = v128.load32_splat(x);
      a0 = madd(a0, s0, v128.load(wp));
      a1 = madd(a1, s0, v128.load(wp, 16));
      x += 4;
      wp += 32;
    }
  }
  v128.store(dst, a0);
  v128.store(dst, a1, 16);
}

/** One output value: the scalar tail for channel counts that are not a multiple of the tile. */
@inline function tile1x1(
  src: usize, w: usize, weightRow: usize, weightTap: usize,
  tapOffsets: usize, taps: i32, inPerGroup: i32, dst: usize, bias: usize,
): void {
  let a = load<f32>(bias);
  for (let t = 0; t < taps; t++) {
    let x = src + <usize>load<i32>(tapOffsets + (<usize>t << 2));
    let wp = w + <usize>t * weightTap;
    for (let ci = 0; ci < inPerGroup; ci++) {
      a += load<f32>(x) * load<f32>(wp);
      x += 4;
      wp += weightRow;
    }
  }
  store<f32>(dst, a);
}
