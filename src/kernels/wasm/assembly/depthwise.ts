// @ts-nocheck: AssemblyScript (compiled by scripts/build-wasm.mjs), not TypeScript: its types (usize, v128) and builtins are unknown to tsc.
/** Dense depthwise convolution (keyframes and the dense fallback of depthwise layers). */
import { Field } from './header';
import { field, madd, pointer } from './fields';

/**
 * Depthwise conv (groups = inC = outC): every channel has its own kernel, so the SIMD lanes run
 * over channels. Tiles of 4 output pixels x 8 channels share each weight load between the pixels
 * and keep 8 independent add chains in flight over the taps.
 */
export function convDenseDepthwise(header: usize, rowStart: i32, rowEnd: i32): void {
  const channels = field(header, Field.InChannels);
  const outW = field(header, Field.OutWidth);
  const strideH = field(header, Field.StrideH);
  const strideW = field(header, Field.StrideW);
  const paddedW = field(header, Field.PaddedWidth);
  const taps = field(header, Field.KernelHeight) * field(header, Field.KernelWidth);
  const integrated = pointer(header, Field.Integrated);
  const weights = pointer(header, Field.Weights);
  const bias = pointer(header, Field.Bias);
  const projection = pointer(header, Field.Projection);
  const tapOffsets = pointer(header, Field.TapOffsets);
  const pixelBytes = <usize>channels << 2;
  const weightTap = pixelBytes;
  const pixelStep = <usize>(strideW * channels) << 2;
  for (let oy = rowStart; oy < rowEnd; oy++) {
    const rowIn = integrated + (<usize>(oy * strideH * paddedW * channels) << 2);
    const rowOut = projection + <usize>(oy * outW) * pixelBytes;
    let ox = 0;
    // 4 output pixels x 8 channels: each weight vector loaded once serves 4 pixels.
    if (channels >= 8) {
      for (; ox + 4 <= outW; ox += 4) {
        const src = rowIn + <usize>ox * pixelStep;
        const dst = rowOut + <usize>ox * pixelBytes;
        let c = 0;
        for (; c + 8 <= channels; c += 8) {
          const cb = <usize>c << 2;
          depthwise4x8(src + cb, pixelStep, weights + cb, weightTap, tapOffsets, taps, dst + cb, pixelBytes, bias + cb);
        }
        for (let k = 0; k < 4 && c < channels; k++) {
          depthwisePixel(src + <usize>k * pixelStep, dst + <usize>k * pixelBytes, c, channels, weights, weightTap, tapOffsets, taps, bias);
        }
      }
    }
    for (; ox < outW; ox++) {
      depthwisePixel(rowIn + <usize>ox * pixelStep, rowOut + <usize>ox * pixelBytes, 0, channels, weights, weightTap, tapOffsets, taps, bias);
    }
  }
}

@inline function depthwise4x8(
  src: usize, pixelStep: usize, w: usize, weightTap: usize, tapOffsets: usize, taps: i32,
  dst: usize, pixelBytes: usize, bias: usize,
): void {
  const b0 = v128.load(bias);
  const b1 = v128.load(bias, 16);
  let a00 = b0, a01 = b1, a10 = b0, a11 = b1, a20 = b0, a21 = b1, a30 = b0, a31 = b1;
  let wp = w;
  for (let t = 0; t < taps; t++) {
    const x = src + <usize>load<i32>(tapOffsets + (<usize>t << 2));
    const w0 = v128.load(wp);
    const w1 = v128.load(wp, 16);
    a00 = madd(a00, v128.load(x), w0);
    a01 = madd(a01, v128.load(x, 16), w1);
    const x1 = x + pixelStep;
    a10 = madd(a10, v128.load(x1), w0);
    a11 = madd(a11, v128.load(x1, 16), w1);
    const x2 = x1 + pixelStep;
    a20 = madd(a20, v128.load(x2), w0);
    a21 = madd(a21, v128.load(x2, 16), w1);
    const x3 = x2 + pixelStep;
    a30 = madd(a30, v128.load(x3), w0);
    a31 = madd(a31, v128.load(x3, 16), w1);
    wp += weightTap;
  }
  v128.store(dst, a00);
  v128.store(dst, a01, 16);
  v128.store(dst + pixelBytes, a10);
  v128.store(dst + pixelBytes, a11, 16);
  v128.store(dst + 2 * pixelBytes, a20);
  v128.store(dst + 2 * pixelBytes, a21, 16);
  v128.store(dst + 3 * pixelBytes, a30);
  v128.store(dst + 3 * pixelBytes, a31, 16);
}

/** Channels `from..channels` of one output pixel: 16, then 4, then 1 at a time. */
export function depthwisePixel(
  src: usize, dst: usize, from: i32, channels: i32, weights: usize, weightTap: usize, tapOffsets: usize, taps: i32, bias: usize,
): void {
  let c = from;
  for (; c + 16 <= channels; c += 16) {
    const cb = <usize>c << 2;
    let a0 = v128.load(bias + cb);
    let a1 = v128.load(bias + cb, 16);
    let a2 = v128.load(bias + cb, 32);
    let a3 = v128.load(bias + cb, 48);
    let wp = weights + cb;
    for (let t = 0; t < taps; t++) {
      const x = src + <usize>load<i32>(tapOffsets + (<usize>t << 2)) + cb;
      a0 = madd(a0, v128.load(x), v128.load(wp));
      a1 = madd(a1, v128.load(x, 16), v128.load(wp, 16));
      a2 = madd(a2, v128.load(x, 32), v128.load(wp, 32));
      a3 = madd(a3, v128.load(x, 48), v128.load(wp, 48));
      wp += weightTap;
    }
    v128.store(dst + cb, a0);
    v128.store(dst + cb, a1, 16);
    v128.store(dst + cb, a2, 32);
    v128.store(dst + cb, a3, 48);
  }
  for (; c + 4 <= channels; c += 4) {
    const cb = <usize>c << 2;
    let a = v128.load(bias + cb);
    let wp = weights + cb;
    for (let t = 0; t < taps; t++) {
      const x = src + <usize>load<i32>(tapOffsets + (<usize>t << 2)) + cb;
      a = madd(a, v128.load(x), v128.load(wp));
      wp += weightTap;
    }
    v128.store(dst + cb, a);
  }
  for (; c < channels; c++) {
    const cb = <usize>c << 2;
    let a = load<f32>(bias + cb);
    let wp = weights + cb;
    for (let t = 0; t < taps; t++) {
      a += load<f32>(src + <usize>load<i32>(tapOffsets + (<usize>t << 2)) + cb) * load<f32>(wp);
      wp += weightTap;
    }
    store<f32>(dst + cb, a);
  }
}
