// @ts-nocheck: AssemblyScript (compiled by scripts/build-wasm.mjs), not TypeScript: its types (usize, v128) and builtins are unknown to tsc.
/**
 * Sparse delta convolution, scatter form (the wasm twin of `src/kernels/conv-scatter.ts`): every
 * active input pixel adds `W[ky,kx]ᵀ·d` into the one output pixel each kernel tap reaches, and the
 * output pixel joins the touched list. SIMD runs over output channels: a block of up to 16 output
 * channels of P stays in registers while the input channels of the delta stream past.
 * Both kernels return the number of (active pixel, tap) pairs that reached an output pixel.
 */
import { Field } from './header';
import { field, madd, pointer, setField } from './fields';


/**
 * Any groups; fast when each group has a multiple of 4 output channels. Two active pixels side by
 * side in a row (the common case: changes come in regions) reach neighbouring output pixels through
 * the same taps, so they are scattered together: each weight vector loaded feeds both.
 */
export function scatterGeneral(header: usize, activeCount: i32): i32 {
  const inC = field(header, Field.InChannels);
  const inW = field(header, Field.InWidth);
  const outC = field(header, Field.OutChannels);
  const groups = field(header, Field.Groups);
  const inPerGroup = inC / groups;
  const outPerGroup = outC / groups;
  const weights = pointer(header, Field.Weights);
  const projection = pointer(header, Field.Projection);
  const activePixels = pointer(header, Field.ActivePixels);
  const deltas = pointer(header, Field.Deltas);
  const reach = pointer(header, Field.Reach);
  // The second half of the reach scratch holds the partner pixel's reach.
  const partnerReach = reach + (<usize>(field(header, Field.KernelHeight) * field(header, Field.KernelWidth)) << 3);
  const weightRow = <usize>outPerGroup << 2;
  const weightTap = <usize>(inC * outPerGroup) << 2;
  const weightGroup = <usize>(inPerGroup * outPerGroup) << 2;
  const deltaBytes = <usize>inC << 2;
  const outBytes = <usize>outC << 2;
  let taps = 0;
  let k = 0;
  while (k < activeCount) {
    const pixel = load<i32>(activePixels + (<usize>k << 2));
    const delta = deltas + <usize>k * deltaBytes;
    const reached = collectReach(header, pixel, reach);
    taps += reached;
    const paired = outPerGroup >= 16 && k + 1 < activeCount
      && load<i32>(activePixels + (<usize>(k + 1) << 2)) == pixel + 1 && (pixel + 1) % inW != 0;
    if (!paired) {
      for (let r = 0; r < reached; r++) {
        const out = projection + <usize>load<i32>(reach + (<usize>r << 3)) * outBytes;
        const wTap = weights + <usize>load<i32>(reach + (<usize>r << 3), 4) * weightTap;
        scatterTap(delta, wTap, out, groups, inPerGroup, outPerGroup, weightRow, weightGroup);
      }
      k++;
      continue;
    }
    const partnerDelta = delta + deltaBytes;
    const partnerReached = collectReach(header, pixel + 1, partnerReach);
    taps += partnerReached;
    // Both reach lists are in tap order: walk them together, pairing equal taps.
    let i = 0;
    let j = 0;
    while (i < reached || j < partnerReached) {
      const tapA = i < reached ? load<i32>(reach + (<usize>i << 3), 4) : i32.MAX_VALUE;
      const tapB = j < partnerReached ? load<i32>(partnerReach + (<usize>j << 3), 4) : i32.MAX_VALUE;
      if (tapA == tapB) {
        const outA = projection + <usize>load<i32>(reach + (<usize>i << 3)) * outBytes;
        const outB = projection + <usize>load<i32>(partnerReach + (<usize>j << 3)) * outBytes;
        scatterTapPair(delta, partnerDelta, weights + <usize>tapA * weightTap, outA, outB, groups, inPerGroup, outPerGroup, weightRow, weightGroup);
        i++;
        j++;
      } else if (tapA < tapB) {
        const out = projection + <usize>load<i32>(reach + (<usize>i << 3)) * outBytes;
        scatterTap(delta, weights + <usize>tapA * weightTap, out, groups, inPerGroup, outPerGroup, weightRow, weightGroup);
        i++;
      } else {
        const out = projection + <usize>load<i32>(partnerReach + (<usize>j << 3)) * outBytes;
        scatterTap(partnerDelta, weights + <usize>tapB * weightTap, out, groups, inPerGroup, outPerGroup, weightRow, weightGroup);
        j++;
      }
    }
    k += 2;
  }
  return taps;
}

/** `out += W[tap]ᵀ·d` for one active pixel and one tap, group by group. */
function scatterTap(
  delta: usize, wTap: usize, out: usize, groups: i32, inPerGroup: i32, outPerGroup: i32, weightRow: usize, weightGroup: usize,
): void {
  for (let group = 0; group < groups; group++) {
    const d = delta + (<usize>(group * inPerGroup) << 2);
    const w = wTap + <usize>group * weightGroup;
    const o = out + (<usize>(group * outPerGroup) << 2);
    scatterChannels(d, w, o, 0, inPerGroup, outPerGroup, weightRow);
  }
}

/** Output channels `from..outPerGroup` of one group: blocks of 16, then 4, then one at a time. */
@inline function scatterChannels(d: usize, w: usize, o: usize, from: i32, inPerGroup: i32, outPerGroup: i32, weightRow: usize): void {
  let co = from;
  for (; co + 16 <= outPerGroup; co += 16) {
    const c = <usize>co << 2;
    block16(d, w + c, weightRow, inPerGroup, o + c);
  }
  for (; co + 4 <= outPerGroup; co += 4) {
    const c = <usize>co << 2;
    block4(d, w + c, weightRow, inPerGroup, o + c);
  }
  for (; co < outPerGroup; co++) {
    const c = <usize>co << 2;
    let a = load<f32>(o + c);
    let wp = w + c;
    for (let ci = 0; ci < inPerGroup; ci++) {
      a += load<f32>(d + (<usize>ci << 2)) * load<f32>(wp);
      wp += weightRow;
    }
    store<f32>(o + c, a);
  }
}

/** Two active pixels through the same tap into two output pixels: blocks of 16 channels share weight loads. */
function scatterTapPair(
  deltaA: usize, deltaB: usize, wTap: usize, outA: usize, outB: usize,
  groups: i32, inPerGroup: i32, outPerGroup: i32, weightRow: usize, weightGroup: usize,
): void {
  for (let group = 0; group < groups; group++) {
    const groupIn = <usize>(group * inPerGroup) << 2;
    const groupOut = <usize>(group * outPerGroup) << 2;
    const dA = deltaA + groupIn;
    const dB = deltaB + groupIn;
    const w = wTap + <usize>group * weightGroup;
    const oA = outA + groupOut;
    const oB = outB + groupOut;
    let co = 0;
    for (; co + 16 <= outPerGroup; co += 16) {
      const c = <usize>co << 2;
      block16Pair(dA, dB, w + c, weightRow, inPerGroup, oA + c, oB + c);
    }
    if (co < outPerGroup) {
      scatterChannels(dA, w, oA, co, inPerGroup, outPerGroup, weightRow);
      scatterChannels(dB, w, oB, co, inPerGroup, outPerGroup, weightRow);
    }
  }
}

@inline function block16Pair(dA: usize, dB: usize, w: usize, weightRow: usize, inPerGroup: i32, oA: usize, oB: usize): void {
  let a0 = v128.load(oA);
  let a1 = v128.load(oA, 16);
  let a2 = v128.load(oA, 32);
  let a3 = v128.load(oA, 48);
  let b0 = v128.load(oB);
  let b1 = v128.load(oB, 16);
  let b2 = v128.load(oB, 32);
  let b3 = v128.load(oB, 48);
  let wp = w;
  const end = <usize>inPerGroup << 2;
  for (let c: usize = 0; c < end; c += 4) {
    const x = v128.load32_splat(dA + c);
    const y = v128.load32_splat(dB + c);
    let wv = v128.load(wp);
    a0 = madd(a0, x, wv);
    b0 = madd(b0, y, wv);
    wv = v128.load(wp, 16);
    a1 = madd(a1, x, wv);
    b1 = madd(b1, y, wv);
    wv = v128.load(wp, 32);
    a2 = madd(a2, x, wv);
    b2 = madd(b2, y, wv);
    wv = v128.load(wp, 48);
    a3 = madd(a3, x, wv);
    b3 = madd(b3, y, wv);
    wp += weightRow;
  }
  v128.store(oA, a0);
  v128.store(oA, a1, 16);
  v128.store(oA, a2, 32);
  v128.store(oA, a3, 48);
  v128.store(oB, b0);
  v128.store(oB, b1, 16);
  v128.store(oB, b2, 32);
  v128.store(oB, b3, 48);
}

@inline function block16(d: usize, w: usize, weightRow: usize, inPerGroup: i32, o: usize): void {
  let a0 = v128.load(o);
  let a1 = v128.load(o, 16);
  let a2 = v128.load(o, 32);
  let a3 = v128.load(o, 48);
  let wp = w;
  for (let ci = 0; ci < inPerGroup; ci++) {
    const x = v128.load32_splat(d + (<usize>ci << 2));
    a0 = madd(a0, x, v128.load(wp));
    a1 = madd(a1, x, v128.load(wp, 16));
    a2 = madd(a2, x, v128.load(wp, 32));
    a3 = madd(a3, x, v128.load(wp, 48));
    wp += weightRow;
  }
  v128.store(o, a0);
  v128.store(o, a1, 16);
  v128.store(o, a2, 32);
  v128.store(o, a3, 48);
}

@inline function block4(d: usize, w: usize, weightRow: usize, inPerGroup: i32, o: usize): void {
  let a = v128.load(o);
  let wp = w;
  for (let ci = 0; ci < inPerGroup; ci++) {
    a = madd(a, v128.load32_splat(d + (<usize>ci << 2)), v128.load(wp));
    wp += weightRow;
  }
  v128.store(o, a);
}

/** Depthwise (groups = inC = outC): lanes run over channels, `P[c] += d[c]·W[tap][c]`. */
export function scatterDepthwise(header: usize, activeCount: i32): i32 {
  const channels = field(header, Field.InChannels);
  const weights = pointer(header, Field.Weights);
  const projection = pointer(header, Field.Projection);
  const activePixels = pointer(header, Field.ActivePixels);
  const deltas = pointer(header, Field.Deltas);
  const reach = pointer(header, Field.Reach);
  const pixelBytes = <usize>channels << 2;
  let taps = 0;
  for (let k = 0; k < activeCount; k++) {
    const pixel = load<i32>(activePixels + (<usize>k << 2));
    const delta = deltas + <usize>k * pixelBytes;
    const reached = collectReach(header, pixel, reach);
    taps += reached;
    for (let r = 0; r < reached; r++) {
      const out = projection + <usize>load<i32>(reach + (<usize>r << 3)) * pixelBytes;
      const w = weights + <usize>load<i32>(reach + (<usize>r << 3), 4) * pixelBytes;
      let c = 0;
      for (; c + 4 <= channels; c += 4) {
        const cb = <usize>c << 2;
        v128.store(out + cb, madd(v128.load(out + cb), v128.load(delta + cb), v128.load(w + cb)));
      }
      for (; c < channels; c++) {
        const cb = <usize>c << 2;
        store<f32>(out + cb, load<f32>(out + cb) + load<f32>(delta + cb) * load<f32>(w + cb));
      }
    }
  }
  return taps;
}

/**
 * The output pixels one input pixel reaches: for each kernel tap (ky, kx) the output pixel
 * (oy, ox) with `oy·strideH − padTop + ky·dilationH = iy` (and likewise in x), if it exists.
 * Writes (output pixel, tap index) pairs to `reach`, adds new output pixels to the touched list,
 * and returns the pair count.
 */
function collectReach(header: usize, pixel: i32, reach: usize): i32 {
  const inW = field(header, Field.InWidth);
  const outH = field(header, Field.OutHeight);
  const outW = field(header, Field.OutWidth);
  const kernelH = field(header, Field.KernelHeight);
  const kernelW = field(header, Field.KernelWidth);
  const strideH = field(header, Field.StrideH);
  const strideW = field(header, Field.StrideW);
  const dilationH = field(header, Field.DilationH);
  const dilationW = field(header, Field.DilationW);
  const marks = pointer(header, Field.TouchedMarks);
  const list = pointer(header, Field.TouchedList);
  let touchedCount = field(header, Field.TouchedCount);
  const iy = pixel / inW;
  const ix = pixel - iy * inW;
  let count = 0;
  for (let ky = 0; ky < kernelH; ky++) {
    const yNum = iy + field(header, Field.PadTop) - ky * dilationH;
    if (yNum < 0) break;
    const oy = yNum / strideH;
    if (oy * strideH != yNum || oy >= outH) continue;
    for (let kx = 0; kx < kernelW; kx++) {
      const xNum = ix + field(header, Field.PadLeft) - kx * dilationW;
      if (xNum < 0) break;
      const ox = xNum / strideW;
      if (ox * strideW != xNum || ox >= outW) continue;
      const outPixel = oy * outW + ox;
      if (load<u8>(marks + <usize>outPixel) == 0) {
        store<u8>(marks + <usize>outPixel, 1);
        store<i32>(list + (<usize>touchedCount << 2), outPixel);
        touchedCount++;
      }
      store<i32>(reach + (<usize>count << 3), outPixel);
      store<i32>(reach + (<usize>count << 3), ky * kernelW + kx, 4);
      count++;
    }
  }
  setField(header, Field.TouchedCount, touchedCount);
  return count;
}
