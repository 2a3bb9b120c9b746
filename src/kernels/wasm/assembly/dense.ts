// @ts-nocheck: AssemblyScript (compiled by scripts/build-wasm.mjs), not TypeScript: its types (usize, v128) and builtins are unknown to tsc.
/**
 * Dense convolution (keyframes and the dense fallback) over the zero-bordered integrated input,
 * so no tap ever needs a bounds check. Gather form with register tiles: 4 output pixels of one row
 * by 8 output channels (8 f32x4 accumulators) stream over every tap and input channel; each weight
 * vector is reused for 4 pixels and each input value (splatted) for 8 channels.
 */
import { Field } from './header';
import { field, pointer } from './fields';

/** General conv: any kernel, stride, dilation and groups. With a 1x1 kernel this is the pointwise GEMM. */
export function convDenseGeneral(header: usize): void {
  const inC = field(header, Field.InChannels);
  const outC = field(header, Field.OutChannels);
  const outH = field(header, Field.OutHeight);
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
  for (let group = 0; group < groups; group++) {
    const groupIn = <usize>(group * inPerGroup) << 2;
    const groupWeights = weights + (<usize>(group * inPerGroup * outPerGroup) << 2);
    const groupOut = <usize>(group * outPerGroup) << 2;
    for (let oy = 0; oy < outH; oy++) {
      const rowIn = integrated + (<usize>(oy * strideH * paddedW * inC) << 2) + groupIn;
      const rowOut = projection + (<usize>(oy * outW * outC) << 2) + groupOut;
      let ox = 0;
      for (; ox + 4 <= outW; ox += 4) {
        const src = rowIn + <usize>ox * pixelStep;
        const dst = rowOut + <usize>ox * outPixel;
        let co = 0;
        for (; co + 8 <= outPerGroup; co += 8) {
          const c = <usize>co << 2;
          tile4x8(src, pixelStep, groupWeights + c, weightRow, weightTap, tapOffsets, taps, inPerGroup, dst + c, outPixel, bias + groupOut + c);
        }
        for (; co + 4 <= outPerGroup; co += 4) {
          const c = <usize>co << 2;
          tile4x4(src, pixelStep, groupWeights + c, weightRow, weightTap, tapOffsets, taps, inPerGroup, dst + c, outPixel, bias + groupOut + c);
        }
        for (; co < outPerGroup; co++) {
          for (let k = 0; k < 4; k++) {
            const c = <usize>co << 2;
            tile1x1(src + <usize>k * pixelStep, groupWeights + c, weightRow, weightTap, tapOffsets, taps, inPerGroup, dst + <usize>k * outPixel + c, bias + groupOut + c);
          }
        }
      }
      for (; ox < outW; ox++) {
        const src = rowIn + <usize>ox * pixelStep;
        const dst = rowOut + <usize>ox * outPixel;
        let co = 0;
        for (; co + 8 <= outPerGroup; co += 8) {
          const c = <usize>co << 2;
          tile1x8(src, groupWeights + c, weightRow, weightTap, tapOffsets, taps, inPerGroup, dst + c, bias + groupOut + c);
        }
        for (; co < outPerGroup; co++) {
          const c = <usize>co << 2;
          tile1x1(src, groupWeights + c, weightRow, weightTap, tapOffsets, taps, inPerGroup, dst + c, bias + groupOut + c);
        }
      }
    }
  }
}

@inline function tile4x8(
  src: usize, pixelStep: usize, w: usize, weightRow: usize, weightTap: usize,
  tapOffsets: usize, taps: i32, inPerGroup: i32, dst: usize, outPixel: usize, bias: usize,
): void {
  const b0 = v128.load(bias);
  const b1 = v128.load(bias, 16);
  let a00 = b0, a01 = b1, a10 = b0, a11 = b1, a20 = b0, a21 = b1, a30 = b0, a31 = b1;
  for (let t = 0; t < taps; t++) {
    let x = src + <usize>load<i32>(tapOffsets + (<usize>t << 2));
    let wp = w + <usize>t * weightTap;
    for (let ci = 0; ci < inPerGroup; ci++) {
      const w0 = v128.load(wp);
      const w1 = v128.load(wp, 16);
      const x0 = v128.load32_splat(x);
      const x1 = v128.load32_splat(x + pixelStep);
      const x2 = v128.load32_splat(x + 2 * pixelStep);
      const x3 = v128.load32_splat(x + 3 * pixelStep);
      a00 = f32x4.add(a00, f32x4.mul(x0, w0));
      a01 = f32x4.add(a01, f32x4.mul(x0, w1));
      a10 = f32x4.add(a10, f32x4.mul(x1, w0));
      a11 = f32x4.add(a11, f32x4.mul(x1, w1));
      a20 = f32x4.add(a20, f32x4.mul(x2, w0));
      a21 = f32x4.add(a21, f32x4.mul(x2, w1));
      a30 = f32x4.add(a30, f32x4.mul(x3, w0));
      a31 = f32x4.add(a31, f32x4.mul(x3, w1));
      x += 4;
      wp += weightRow;
    }
  }
  v128.store(dst, a00);
  v128.store(dst, a01, 16);
  v128.store(dst + outPixel, a10);
  v128.store(dst + outPixel, a11, 16);
  v128.store(dst + 2 * outPixel, a20);
  v128.store(dst + 2 * outPixel, a21, 16);
  v128.store(dst + 3 * outPixel, a30);
  v128.store(dst + 3 * outPixel, a31, 16);
}

@inline function tile4x4(
  src: usize, pixelStep: usize, w: usize, weightRow: usize, weightTap: usize,
  tapOffsets: usize, taps: i32, inPerGroup: i32, dst: usize, outPixel: usize, bias: usize,
): void {
  const b0 = v128.load(bias);
  let a0 = b0, a1 = b0, a2 = b0, a3 = b0;
  for (let t = 0; t < taps; t++) {
    let x = src + <usize>load<i32>(tapOffsets + (<usize>t << 2));
    let wp = w + <usize>t * weightTap;
    for (let ci = 0; ci < inPerGroup; ci++) {
      const w0 = v128.load(wp);
      a0 = f32x4.add(a0, f32x4.mul(v128.load32_splat(x), w0));
      a1 = f32x4.add(a1, f32x4.mul(v128.load32_splat(x + pixelStep), w0));
      a2 = f32x4.add(a2, f32x4.mul(v128.load32_splat(x + 2 * pixelStep), w0));
      a3 = f32x4.add(a3, f32x4.mul(v128.load32_splat(x + 3 * pixelStep), w0));
      x += 4;
      wp += weightRow;
    }
  }
  v128.store(dst, a0);
  v128.store(dst + outPixel, a1);
  v128.store(dst + 2 * outPixel, a2);
  v128.store(dst + 3 * outPixel, a3);
}

@inline function tile1x8(
  src: usize, w: usize, weightRow: usize, weightTap: usize,
  tapOffsets: usize, taps: i32, inPerGroup: i32, dst: usize, bias: usize,
): void {
  let a0 = v128.load(bias);
  let a1 = v128.load(bias, 16);
  for (let t = 0; t < taps; t++) {
    let x = src + <usize>load<i32>(tapOffsets + (<usize>t << 2));
    let wp = w + <usize>t * weightTap;
    for (let ci = 0; ci < inPerGroup; ci++) {
      const x0 = v128.load32_splat(x);
      a0 = f32x4.add(a0, f32x4.mul(x0, v128.load(wp)));
      a1 = f32x4.add(a1, f32x4.mul(x0, v128.load(wp, 16)));
      x += 4;
      wp += weightRow;
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

/**
 * Depthwise conv (groups = inC = outC): every channel has its own kernel, so the SIMD lanes run
 * over channels. 16 channels at a time keep 4 independent add chains in flight over the taps.
 */
export function convDenseDepthwise(header: usize): void {
  const channels = field(header, Field.InChannels);
  const outH = field(header, Field.OutHeight);
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
  for (let oy = 0; oy < outH; oy++) {
    for (let ox = 0; ox < outW; ox++) {
      const src = integrated + <usize>((oy * strideH * paddedW + ox * strideW) * channels) * 4;
      const dst = projection + <usize>(oy * outW + ox) * pixelBytes;
      let c = 0;
      for (; c + 16 <= channels; c += 16) {
        const cb = <usize>c << 2;
        let a0 = v128.load(bias + cb);
        let a1 = v128.load(bias + cb, 16);
        let a2 = v128.load(bias + cb, 32);
        let a3 = v128.load(bias + cb, 48);
        let wp = weights + cb;
        for (let t = 0; t < taps; t++) {
          const x = src + <usize>load<i32>(tapOffsets + (<usize>t << 2)) + cb;
          a0 = f32x4.add(a0, f32x4.mul(v128.load(x), v128.load(wp)));
          a1 = f32x4.add(a1, f32x4.mul(v128.load(x, 16), v128.load(wp, 16)));
          a2 = f32x4.add(a2, f32x4.mul(v128.load(x, 32), v128.load(wp, 32)));
          a3 = f32x4.add(a3, f32x4.mul(v128.load(x, 48), v128.load(wp, 48)));
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
          a = f32x4.add(a, f32x4.mul(v128.load(x), v128.load(wp)));
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
  }
}
