// @ts-nocheck: AssemblyScript (compiled by scripts/build-wasm.mjs), not TypeScript: its types (usize, v128) and builtins are unknown to tsc.
/**
 * Pixel-wise activity detection fused with the update of the integrated input Ĩ and the gather of
 * the deltas (the wasm twin of `src/kernels/activity.ts`). A pixel is active when
 * `max_c |I − Ĩ| > τ`; NaN counts as active (the comparison `|d| <= τ` is false for it), so that the
 * gathered deltas hold it, and `Field.DeltasNonFinite` tells the caller to look for it.
 */
import { Field } from './header';
import { field, pointer, setField } from './fields';

/**
 * Scans `candidateCount` pixels listed at `Field.Candidates`, or every pixel when `useCandidates`
 * is false. Writes the active pixel indices and their deltas; returns how many were active, or
 * `maxActive + 1` as soon as more than `maxActive` are (the caller then recomputes densely, and the
 * rest of the scan would be wasted). Sets `Field.DeltasNonFinite` to 1 when a gathered delta is NaN
 * or ±Infinity, else 0.
 */
export function detectActive(header: usize, threshold: f32, useCandidates: bool, candidateCount: i32, maxActive: i32): i32 {
  const inW = field(header, Field.InWidth);
  const channels = field(header, Field.InChannels);
  const padTop = field(header, Field.PadTop);
  const padLeft = field(header, Field.PadLeft);
  const paddedW = field(header, Field.PaddedWidth);
  const staged = pointer(header, Field.Staged);
  const integrated = pointer(header, Field.Integrated);
  const activePixels = pointer(header, Field.ActivePixels);
  const deltas = pointer(header, Field.Deltas);
  const pixelBytes = <usize>channels << 2;
  // Sum of (d − d) over the gathered deltas: 0 while they are finite, NaN once one is not.
  let nonFinite = f32x4.splat(0);
  let active = 0;
  if (useCandidates) {
    const candidates = pointer(header, Field.Candidates);
    // Without a border (1x1 convs), Ĩ is laid out like the input: no row, so no integer division.
    const unpadded = paddedW == inW && padTop == 0 && padLeft == 0;
    // The row without an integer division (tens of cycles per candidate): (pixel + 0.5) / inW is at
    // least 0.5 / inW away from an integer, far more than a double's rounding error, so it truncates
    // to the quotient.
    const inverseW: f64 = 1.0 / <f64>inW;
    for (let k = 0; k < candidateCount; k++) {
      const pixel = load<i32>(candidates + (<usize>k << 2));
      let padded = pixel;
      if (!unpadded) {
        const iy = <i32>((<f64>pixel + 0.5) * inverseW);
        padded = (iy + padTop) * paddedW + pixel - iy * inW + padLeft;
      }
      const now = staged + <usize>pixel * pixelBytes;
      const kept = integrated + <usize>padded * pixelBytes;
      if (!changed(now, kept, channels, threshold)) continue;
      nonFinite = f32x4.add(nonFinite, integrate(now, kept, deltas + <usize>active * pixelBytes, channels));
      store<i32>(activePixels + (<usize>active << 2), pixel);
      if (++active > maxActive) break;
    }
    return finish(header, active, nonFinite);
  }
  const inH = field(header, Field.InHeight);
  let pixel = 0;
  for (let iy = 0; iy < inH; iy++) {
    let now = staged + <usize>pixel * pixelBytes;
    let kept = integrated + <usize>((iy + padTop) * paddedW + padLeft) * pixelBytes;
    for (let ix = 0; ix < inW; ix++) {
      if (changed(now, kept, channels, threshold)) {
        nonFinite = f32x4.add(nonFinite, integrate(now, kept, deltas + <usize>active * pixelBytes, channels));
        store<i32>(activePixels + (<usize>active << 2), pixel);
        if (++active > maxActive) return finish(header, active, nonFinite);
      }
      now += pixelBytes;
      kept += pixelBytes;
      pixel++;
    }
  }
  return finish(header, active, nonFinite);
}

@inline function finish(header: usize, active: i32, nonFinite: v128): i32 {
  setField(header, Field.DeltasNonFinite, i32(v128.any_true(f32x4.ne(nonFinite, nonFinite))));
  return active;
}

/** Is any channel's |now − kept| above the threshold (or NaN)? */
@inline function changed(now: usize, kept: usize, channels: i32, threshold: f32): bool {
  const limit = f32x4.splat(threshold);
  let c = 0;
  // 16 channels per test: most candidates are inactive and read every channel, so one branch per
  // four vectors instead of one per vector.
  for (; c + 16 <= channels; c += 16) {
    const o = <usize>c << 2;
    const a = f32x4.le(f32x4.abs(f32x4.sub(v128.load(now + o), v128.load(kept + o))), limit);
    const b = f32x4.le(f32x4.abs(f32x4.sub(v128.load(now + o, 16), v128.load(kept + o, 16))), limit);
    const d = f32x4.le(f32x4.abs(f32x4.sub(v128.load(now + o, 32), v128.load(kept + o, 32))), limit);
    const e = f32x4.le(f32x4.abs(f32x4.sub(v128.load(now + o, 48), v128.load(kept + o, 48))), limit);
    if (!i32x4.all_true(v128.and(v128.and(a, b), v128.and(d, e)))) return true;
  }
  for (; c + 4 <= channels; c += 4) {
    const offset = <usize>c << 2;
    const d = f32x4.sub(v128.load(now + offset), v128.load(kept + offset));
    if (!i32x4.all_true(f32x4.le(f32x4.abs(d), limit))) return true;
  }
  for (; c < channels; c++) {
    const offset = <usize>c << 2;
    if (!(Mathf.abs(load<f32>(now + offset) - load<f32>(kept + offset)) <= threshold)) return true;
  }
  return false;
}

/** deltas = now − kept; kept = now. Returns the lane sums of (delta − delta): zero unless a delta is not finite. */
@inline function integrate(now: usize, kept: usize, deltas: usize, channels: i32): v128 {
  let check = f32x4.splat(0);
  let c = 0;
  for (; c + 4 <= channels; c += 4) {
    const offset = <usize>c << 2;
    const value = v128.load(now + offset);
    const d = f32x4.sub(value, v128.load(kept + offset));
    check = f32x4.add(check, f32x4.sub(d, d));
    v128.store(deltas + offset, d);
    v128.store(kept + offset, value);
  }
  let tail: f32 = 0;
  for (; c < channels; c++) {
    const offset = <usize>c << 2;
    const value = load<f32>(now + offset);
    const d = value - load<f32>(kept + offset);
    tail += d - d;
    store<f32>(deltas + offset, d);
    store<f32>(kept + offset, value);
  }
  return f32x4.replace_lane(check, 0, f32x4.extract_lane(check, 0) + tail);
}

/**
 * Ĩ = the staged input everywhere (the zero border stays), one row at a time, summing (v − v) on
 * the way: returns the index of the input's first NaN or ±Infinity, or -1 (a keyframe's copy and its
 * validation in one pass over the map).
 */
export function integrateWhole(header: usize): i32 {
  const inH = field(header, Field.InHeight);
  const inW = field(header, Field.InWidth);
  const channels = field(header, Field.InChannels);
  const paddedW = field(header, Field.PaddedWidth);
  const padTop = field(header, Field.PadTop);
  const padLeft = field(header, Field.PadLeft);
  const staged = pointer(header, Field.Staged);
  const integrated = pointer(header, Field.Integrated);
  const rowValues = inW * channels;
  const rowBytes = <usize>rowValues << 2;
  let check = f32x4.splat(0);
  let tail: f32 = 0;
  for (let y = 0; y < inH; y++) {
    const from = staged + <usize>y * rowBytes;
    const to = integrated + (<usize>(((y + padTop) * paddedW + padLeft) * channels) << 2);
    let i: usize = 0;
    for (; i + 16 <= rowBytes; i += 16) {
      const v = v128.load(from + i);
      v128.store(to + i, v);
      check = f32x4.add(check, f32x4.sub(v, v));
    }
    for (; i < rowBytes; i += 4) {
      const v = load<f32>(from + i);
      store<f32>(to + i, v);
      tail += v - v;
    }
  }
  if (!v128.any_true(f32x4.ne(check, check)) && tail == tail) return -1;
  return findNonFinite(staged, inH * rowValues);
}

/** Index of the first NaN or ±Infinity among `count` floats at `values`, or -1. */
export function findNonFinite(values: usize, count: i32): i32 {
  let i = 0;
  for (; i + 4 <= count; i += 4) {
    const v = v128.load(values + (<usize>i << 2));
    // v − v is 0 for finite values and NaN otherwise; NaN is the only value not equal to itself.
    const d = f32x4.sub(v, v);
    if (v128.any_true(f32x4.ne(d, d))) break;
  }
  for (; i < count; i++) {
    const v = load<f32>(values + (<usize>i << 2));
    if (v - v != 0) return i;
  }
  return -1;
}

/** Empties the touched list, clearing only the marks that were set. */
export function clearTouched(header: usize): void {
  const marks = pointer(header, Field.TouchedMarks);
  const list = pointer(header, Field.TouchedList);
  const count = field(header, Field.TouchedCount);
  for (let k = 0; k < count; k++) store<u8>(marks + <usize>load<i32>(list + (<usize>k << 2)), 0);
  setField(header, Field.TouchedCount, 0);
}
