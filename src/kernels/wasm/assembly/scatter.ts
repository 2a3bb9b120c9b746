// @ts-nocheck: AssemblyScript (compiled by scripts/build-wasm.mjs), not TypeScript: its types (usize, v128) and builtins are unknown to tsc.
/**
 * Sparse delta convolution, scatter form (the wasm twin of `src/kernels/conv-scatter.ts`): every
 * active input pixel adds `W[ky,kx]ᵀ·d` into the one output pixel each kernel tap reaches, and the
 * output pixel joins the touched list. SIMD runs over output channels: a block of output channels
 * of P stays in registers while the input channels of the delta stream past.
 * Both kernels return the number of (active pixel, tap) pairs that reached an output pixel.
 */
import { Field } from './header';
import { field, madd, pointer, setField } from './fields';


/**
 * Any groups. Tap-major: for each kernel tap, the active pixels that reach an output pixel through
 * it go 4 at a time through a register tile of 4 output pixels x 8 channels, so every weight vector
 * loaded serves 4 pixels (they reach 4 distinct output pixels: a tap maps input pixels one to one).
 * Groups with fewer than 8 output channels, and kernels with more than 25 taps, go per pixel.
 */
export function scatterGeneral(header: usize, activeCount: i32): i32 {
  const inC = field(header, Field.InChannels);
  const outC = field(header, Field.OutChannels);
  const groups = field(header, Field.Groups);
  const inPerGroup = inC / groups;
  const outPerGroup = outC / groups;
  const weights = pointer(header, Field.Weights);
  const projection = pointer(header, Field.Projection);
  const activePixels = pointer(header, Field.ActivePixels);
  const deltas = pointer(header, Field.Deltas);
  const reach = pointer(header, Field.Reach);
  const weightRow = <usize>outPerGroup << 2;
  const weightTap = <usize>(inC * outPerGroup) << 2;
  const weightGroup = <usize>(inPerGroup * outPerGroup) << 2;
  const deltaBytes = <usize>inC << 2;
  const outBytes = <usize>outC << 2;
  // Tap-major lists every active pixel once per tap: fine for the usual 1x1 to 5x5 kernels, quadratic
  // for a kernel that covers the whole map (a fully-connected layer), which goes per pixel instead.
  const kernelTaps = field(header, Field.KernelHeight) * field(header, Field.KernelWidth);
  const tapMajor = outPerGroup >= 8 && kernelTaps <= 25 && field(header, Field.OutHeight) * field(header, Field.OutWidth) > 1;
  if (tapMajor && groups == 1 && kernelTaps == 1 && sameGrid(header)) return scatterPointwise(header, activeCount);
  // First pass, per pixel: the touched list and the tap count (and, when not tap-major, the work).
  let taps = 0;
  for (let k = 0; k < activeCount; k++) {
    const reached = collectReach(header, load<i32>(activePixels + (<usize>k << 2)), reach);
    taps += reached;
    if (tapMajor) continue;
    const delta = deltas + <usize>k * deltaBytes;
    for (let r = 0; r < reached; r++) {
      const out = projection + <usize>load<i32>(reach + (<usize>r << 3)) * outBytes;
      const wTap = weights + <usize>load<i32>(reach + (<usize>r << 3), 4) * weightTap;
      scatterTap(delta, wTap, out, groups, inPerGroup, outPerGroup, weightRow, weightGroup);
    }
  }
  if (!tapMajor) return taps;
  const tapList = pointer(header, Field.TapList);
  const kernelH = field(header, Field.KernelHeight);
  const kernelW = field(header, Field.KernelWidth);
  for (let ky = 0; ky < kernelH; ky++) {
    for (let kx = 0; kx < kernelW; kx++) {
      const n = listTapReach(header, activeCount, ky, kx, tapList);
      const wTap = weights + <usize>(ky * kernelW + kx) * weightTap;
      let q = 0;
      for (; q + 4 <= n; q += 4) {
        const entry = tapList + (<usize>q << 3);
        const d0 = deltas + <usize>load<i32>(entry) * deltaBytes;
        const d1 = deltas + <usize>load<i32>(entry, 8) * deltaBytes;
        const d2 = deltas + <usize>load<i32>(entry, 16) * deltaBytes;
        const d3 = deltas + <usize>load<i32>(entry, 24) * deltaBytes;
        const o0 = projection + <usize>load<i32>(entry, 4) * outBytes;
        const o1 = projection + <usize>load<i32>(entry, 12) * outBytes;
        const o2 = projection + <usize>load<i32>(entry, 20) * outBytes;
        const o3 = projection + <usize>load<i32>(entry, 28) * outBytes;
        for (let group = 0; group < groups; group++) {
          const groupIn = <usize>(group * inPerGroup) << 2;
          const groupOut = <usize>(group * outPerGroup) << 2;
          scatterQuad(d0 + groupIn, d1 + groupIn, d2 + groupIn, d3 + groupIn, wTap + <usize>group * weightGroup, weightRow, inPerGroup, outPerGroup,
            o0 + groupOut, o1 + groupOut, o2 + groupOut, o3 + groupOut);
        }
      }
      for (; q < n; q++) {
        const entry = tapList + (<usize>q << 3);
        const delta = deltas + <usize>load<i32>(entry) * deltaBytes;
        scatterTap(delta, wTap, projection + <usize>load<i32>(entry, 4) * outBytes, groups, inPerGroup, outPerGroup, weightRow, weightGroup);
      }
    }
  }
  return taps;
}

/** A 1x1 conv whose output pixel is its input pixel: stride 1 and no padding. */
@inline function sameGrid(header: usize): bool {
  return field(header, Field.StrideH) == 1 && field(header, Field.StrideW) == 1 && field(header, Field.PadTop) == 0 && field(header, Field.PadLeft) == 0
    && field(header, Field.OutWidth) == field(header, Field.InWidth) && field(header, Field.OutHeight) == field(header, Field.InHeight);
}

/**
 * `scatterGeneral` for a 1x1 conv on the same grid (groups 1, 8 or more output channels): each active
 * pixel touches its own output pixel only, so the touched list is the active list and the reach
 * bookkeeping (per pixel, then per tap) is skipped; the active pixels go 4 at a time through the
 * same register tile.
 */
function scatterPointwise(header: usize, activeCount: i32): i32 {
  const inC = field(header, Field.InChannels);
  const outC = field(header, Field.OutChannels);
  const weights = pointer(header, Field.Weights);
  const projection = pointer(header, Field.Projection);
  const activePixels = pointer(header, Field.ActivePixels);
  const deltas = pointer(header, Field.Deltas);
  const marks = pointer(header, Field.TouchedMarks);
  const list = pointer(header, Field.TouchedList);
  const weightRow = <usize>outC << 2;
  const deltaBytes = <usize>inC << 2;
  const outBytes = <usize>outC << 2;
  // The touched list starts empty (`clearTouched`) and active pixels are distinct.
  memory.copy(list, activePixels, <usize>activeCount << 2);
  for (let k = 0; k < activeCount; k++) store<u8>(marks + <usize>load<i32>(activePixels + (<usize>k << 2)), 1);
  setField(header, Field.TouchedCount, activeCount);
  let k = 0;
  for (; k + 4 <= activeCount; k += 4) {
    const pixels = activePixels + (<usize>k << 2);
    const d0 = deltas + <usize>k * deltaBytes;
    const o0 = projection + <usize>load<i32>(pixels) * outBytes;
    const o1 = projection + <usize>load<i32>(pixels, 4) * outBytes;
    const o2 = projection + <usize>load<i32>(pixels, 8) * outBytes;
    const o3 = projection + <usize>load<i32>(pixels, 12) * outBytes;
    scatterQuad(d0, d0 + deltaBytes, d0 + 2 * deltaBytes, d0 + 3 * deltaBytes, weights, weightRow, inC, outC, o0, o1, o2, o3);
  }
  for (; k < activeCount; k++) {
    const out = projection + <usize>load<i32>(activePixels + (<usize>k << 2)) * outBytes;
    scatterChannels(deltas + <usize>k * deltaBytes, weights, out, 0, inC, outC, weightRow);
  }
  return activeCount;
}

/** The (active pixel index, output pixel) pairs of one tap, written to `list`; returns their count. */
function listTapReach(header: usize, activeCount: i32, ky: i32, kx: i32, list: usize): i32 {
  const inW = field(header, Field.InWidth);
  const outH = field(header, Field.OutHeight);
  const outW = field(header, Field.OutWidth);
  const strideH = field(header, Field.StrideH);
  const strideW = field(header, Field.StrideW);
  const yShift = field(header, Field.PadTop) - ky * field(header, Field.DilationH);
  const xShift = field(header, Field.PadLeft) - kx * field(header, Field.DilationW);
  const activePixels = pointer(header, Field.ActivePixels);
  let n = 0;
  for (let k = 0; k < activeCount; k++) {
    const pixel = load<i32>(activePixels + (<usize>k << 2));
    const iy = pixel / inW;
    const yNum = iy + yShift;
    const xNum = pixel - iy * inW + xShift;
    if (yNum < 0 || xNum < 0) continue;
    const oy = strideH == 1 ? yNum : yNum / strideH;
    const ox = strideW == 1 ? xNum : xNum / strideW;
    if (oy * strideH != yNum || oy >= outH || ox * strideW != xNum || ox >= outW) continue;
    store<i32>(list + (<usize>n << 3), k);
    store<i32>(list + (<usize>n << 3), oy * outW + ox, 4);
    n++;
  }
  return n;
}

/**
 * Four active pixels' deltas (one group's channels at `d0..d3`) through one tap's weights `w` into
 * four distinct output pixels (`o0..o3`): 8 output channels at a time, then the rest per pixel.
 */
@inline function scatterQuad(
  d0: usize, d1: usize, d2: usize, d3: usize, w: usize, weightRow: usize, inPerGroup: i32, outPerGroup: i32,
  o0: usize, o1: usize, o2: usize, o3: usize,
): void {
  let co = 0;
  for (; co + 8 <= outPerGroup; co += 8) {
    const c = <usize>co << 2;
    quad8(d0, d1, d2, d3, w + c, weightRow, inPerGroup, o0 + c, o1 + c, o2 + c, o3 + c);
  }
  if (co < outPerGroup) {
    scatterChannels(d0, w, o0, co, inPerGroup, outPerGroup, weightRow);
    scatterChannels(d1, w, o1, co, inPerGroup, outPerGroup, weightRow);
    scatterChannels(d2, w, o2, co, inPerGroup, outPerGroup, weightRow);
    scatterChannels(d3, w, o3, co, inPerGroup, outPerGroup, weightRow);
  }
}

/** Four active pixels' deltas through one tap into four output pixels, 8 output channels. */
@inline function quad8(
  d0: usize, d1: usize, d2: usize, d3: usize, w: usize, weightRow: usize, inPerGroup: i32,
  o0: usize, o1: usize, o2: usize, o3: usize,
): void {
  let a00 = v128.load(o0), a01 = v128.load(o0, 16);
  let a10 = v128.load(o1), a11 = v128.load(o1, 16);
  let a20 = v128.load(o2), a21 = v128.load(o2, 16);
  let a30 = v128.load(o3), a31 = v128.load(o3, 16);
  let wp = w;
  const end = <usize>inPerGroup << 2;
  for (let c: usize = 0; c < end; c += 4) {
    const w0 = v128.load(wp);
    const w1 = v128.load(wp, 16);
    let s = v128.load32_splat(d0 + c);
    a00 = madd(a00, s, w0);
    a01 = madd(a01, s, w1);
    s = v128.load32_splat(d1 + c);
    a10 = madd(a10, s, w0);
    a11 = madd(a11, s, w1);
    s = v128.load32_splat(d2 + c);
    a20 = madd(a20, s, w0);
    a21 = madd(a21, s, w1);
    s = v128.load32_splat(d3 + c);
    a30 = madd(a30, s, w0);
    a31 = madd(a31, s, w1);
    wp += weightRow;
  }
  v128.store(o0, a00);
  v128.store(o0, a01, 16);
  v128.store(o1, a10);
  v128.store(o1, a11, 16);
  v128.store(o2, a20);
  v128.store(o2, a21, 16);
  v128.store(o3, a30);
  v128.store(o3, a31, 16);
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

/**
 * Depthwise (groups = inC = outC): lanes run over channels, `P[c] += d[c]·W[tap][c]`. Per block of
 * 16 channels the delta stays in registers across the pixel's taps: a tap then costs one load of P,
 * one of W and a store per vector, which is what bounds this kernel (a multiply-add per three memory
 * operations).
 */
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
    let c = 0;
    for (; c + 16 <= channels; c += 16) {
      const cb = <usize>c << 2;
      const d0 = v128.load(delta + cb);
      const d1 = v128.load(delta + cb, 16);
      const d2 = v128.load(delta + cb, 32);
      const d3 = v128.load(delta + cb, 48);
      for (let r = 0; r < reached; r++) {
        const pair = reach + (<usize>r << 3);
        const o = projection + <usize>load<i32>(pair) * pixelBytes + cb;
        const w = weights + <usize>load<i32>(pair, 4) * pixelBytes + cb;
        v128.store(o, madd(v128.load(o), d0, v128.load(w)));
        v128.store(o, madd(v128.load(o, 16), d1, v128.load(w, 16)), 16);
        v128.store(o, madd(v128.load(o, 32), d2, v128.load(w, 32)), 32);
        v128.store(o, madd(v128.load(o, 48), d3, v128.load(w, 48)), 48);
      }
    }
    for (; c + 4 <= channels; c += 4) {
      const cb = <usize>c << 2;
      const d = v128.load(delta + cb);
      for (let r = 0; r < reached; r++) {
        const pair = reach + (<usize>r << 3);
        const o = projection + <usize>load<i32>(pair) * pixelBytes + cb;
        v128.store(o, madd(v128.load(o), d, v128.load(weights + <usize>load<i32>(pair, 4) * pixelBytes + cb)));
      }
    }
    for (; c < channels; c++) {
      const cb = <usize>c << 2;
      const d = load<f32>(delta + cb);
      for (let r = 0; r < reached; r++) {
        const pair = reach + (<usize>r << 3);
        const o = projection + <usize>load<i32>(pair) * pixelBytes + cb;
        store<f32>(o, load<f32>(o) + d * load<f32>(weights + <usize>load<i32>(pair, 4) * pixelBytes + cb));
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
export function collectReach(header: usize, pixel: i32, reach: usize): i32 {
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
  const padTop = field(header, Field.PadTop);
  const padLeft = field(header, Field.PadLeft);
  const iy = pixel / inW;
  const ix = pixel - iy * inW;
  let count = 0;
  // Without dilation only every stride-th tap reaches an output pixel: start at the first and step
  // by the stride (a strided stem's 3x3 kernel tries 2.25 taps per pixel on average, not 9).
  const kyStep = dilationH == 1 ? strideH : 1;
  const kxStep = dilationW == 1 ? strideW : 1;
  const kyFirst = kyStep == 1 ? 0 : (iy + padTop) % strideH;
  const kxFirst = kxStep == 1 ? 0 : (ix + padLeft) % strideW;
  for (let ky = kyFirst; ky < kernelH; ky += kyStep) {
    const yNum = iy + padTop - ky * dilationH;
    if (yNum < 0) break;
    // Integer division costs tens of cycles, as much as a depthwise tap's arithmetic: skip it at
    // strides 1 and 2 (yNum >= 0 here, so the shift is the quotient).
    const oy = strideH == 1 ? yNum : strideH == 2 ? yNum >> 1 : yNum / strideH;
    if (oy * strideH != yNum || oy >= outH) continue;
    for (let kx = kxFirst; kx < kernelW; kx += kxStep) {
      const xNum = ix + padLeft - kx * dilationW;
      if (xNum < 0) break;
      const ox = strideW == 1 ? xNum : strideW == 2 ? xNum >> 1 : xNum / strideW;
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
