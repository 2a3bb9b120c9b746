// @ts-nocheck: AssemblyScript (compiled by scripts/build-wasm.mjs), not TypeScript: its types (usize, v128) and builtins are unknown to tsc.
/**
 * Frame bytes to floats through per-channel lookup tables at the pixels whose bytes changed (the
 * wasm twin of `convertFrameInJs` in src/kernels/frame-to-tensor.ts, for a browser, which has no
 * native addon). Sixteen pixels are compared at once (`channels` vectors of 16 bytes), so a static
 * region costs a few instructions per 16 pixels; single pixels are looked at only inside a group
 * that differs.
 */

/**
 * Converts the changed pixels (every pixel when `previous` is 0) into `output` (the frame's layout,
 * channels interleaved) and lists them in `changed`. Returns their count; stores the first and the
 * last at `span` (-1, -1 when none changed), so that the caller copies out only that range.
 */
export function convertFrame(data: usize, previous: usize, tables: usize, channels: i32, pixels: i32, output: usize, changed: usize, span: usize): i32 {
  // Locals, not globals: the count is a dependency of every pixel, and V8 keeps locals in registers.
  let count = 0;
  let first = -1;
  let last = -1;
  let p = 0;
  const pixelBytes = <usize>channels;
  const groupBytes = pixelBytes << 4;
  for (; p + 16 <= pixels; p += 16) {
    const offset = <usize>p * pixelBytes;
    if (previous != 0) {
      let diff = v128.xor(v128.load(data + offset), v128.load(previous + offset));
      for (let v: usize = 16; v < groupBytes; v += 16) diff = v128.or(diff, v128.xor(v128.load(data + offset + v), v128.load(previous + offset + v)));
      if (!v128.any_true(diff)) continue;
    }
    // Every pixel of a group that differs is converted, changed or not (an unchanged pixel gets the
    // value it has: `output` holds the previous frame's conversion), and listed without a branch:
    // in compressed video about half of them changed, and a branch per pixel would mispredict.
    for (let q = p; q < p + 16; q++) {
      const at = <usize>q * pixelBytes;
      const listed = previous == 0 || differs(data + at, previous + at, channels);
      convertPixel(data + at, tables, channels, output + (at << 2));
      store<i32>(changed + (<usize>count << 2), q);
      first = select<i32>(q, first, listed && first < 0);
      last = select<i32>(q, last, listed);
      count += <i32>listed;
    }
  }
  for (; p < pixels; p++) {
    const at = <usize>p * pixelBytes;
    if (previous != 0 && !differs(data + at, previous + at, channels)) continue;
    convertPixel(data + at, tables, channels, output + (at << 2));
    store<i32>(changed + (<usize>count << 2), p);
    if (count == 0) first = p;
    last = p;
    count++;
  }
  store<i32>(span, first);
  store<i32>(span + 4, last);
  return count;
}

@inline function differs(now: usize, before: usize, channels: i32): bool {
  if (channels == 3) return ((load<u16>(now) ^ load<u16>(before)) | (load<u8>(now + 2) ^ load<u8>(before + 2))) != 0;
  for (let c: usize = 0; c < <usize>channels; c++) if (load<u8>(now + c) != load<u8>(before + c)) return true;
  return false;
}

/** One pixel's bytes at `source` through their channels' tables to the floats at `target`. */
@inline function convertPixel(source: usize, tables: usize, channels: i32, target: usize): void {
  if (channels == 3) {
    store<f32>(target, load<f32>(tables + (<usize>load<u8>(source) << 2)));
    store<f32>(target + 4, load<f32>(tables + 1024 + (<usize>load<u8>(source + 1) << 2)));
    store<f32>(target + 8, load<f32>(tables + 2048 + (<usize>load<u8>(source + 2) << 2)));
    return;
  }
  for (let c: usize = 0; c < <usize>channels; c++) store<f32>(target + (c << 2), load<f32>(tables + (c << 10) + (<usize>load<u8>(source + c) << 2)));
}
