// @ts-nocheck: AssemblyScript (compiled by scripts/build-wasm.mjs), not TypeScript: its types (usize, v128) and builtins are unknown to tsc.
/**
 * `f(P)`, four lanes at a time. The kind codes are `ACTIVATION_CODES` of `wasm-engine.ts`: 0 none,
 * 1 relu, 2 relu6, 3 leakyRelu (slope `alpha`). The other kinds (sigmoid, hardSwish) stay in
 * JavaScript.
 */
import { Field } from './header';
import { field, pointer } from './fields';

/** `dst = f(src)` over `count` floats. */
export function activate(src: usize, dst: usize, count: i32, kind: i32, alpha: f32): void {
  activateRange(src, dst, count, kind, alpha);
}

/**
 * `Activated = f(Projection)` at the output pixels of the touched list only: after a sparse update
 * nothing else changed, so the activated map stays whole without a pass over it.
 */
export function activateTouched(header: usize, kind: i32, alpha: f32): void {
  const channels = field(header, Field.OutChannels);
  const projection = pointer(header, Field.Projection);
  const activated = pointer(header, Field.Activated);
  const list = pointer(header, Field.TouchedList);
  const count = field(header, Field.TouchedCount);
  const pixelBytes = <usize>channels << 2;
  for (let k = 0; k < count; k++) {
    const offset = <usize>load<i32>(list + (<usize>k << 2)) * pixelBytes;
    activateRange(projection + offset, activated + offset, channels, kind, alpha);
  }
}

@inline function activateRange(src: usize, dst: usize, count: i32, kind: i32, alpha: f32): void {
  // One loop per kind: the kind test stays out of the per-vector work (V8 does not unswitch it).
  const vectorBytes = <usize>(count & ~3) << 2;
  const zero = f32x4.splat(0);
  let i: usize = 0;
  if (kind == 1) {
    for (; i < vectorBytes; i += 16) v128.store(dst + i, f32x4.max(v128.load(src + i), zero));
  } else if (kind == 2) {
    const six = f32x4.splat(6);
    for (; i < vectorBytes; i += 16) v128.store(dst + i, f32x4.min(f32x4.max(v128.load(src + i), zero), six));
  } else if (kind == 3) {
    const slope = f32x4.splat(alpha);
    for (; i < vectorBytes; i += 16) {
      const x = v128.load(src + i);
      v128.store(dst + i, v128.bitselect(x, f32x4.mul(x, slope), f32x4.ge(x, zero)));
    }
  } else {
    for (; i < vectorBytes; i += 16) v128.store(dst + i, v128.load(src + i));
  }
  const end = <usize>count << 2;
  for (; i < end; i += 4) {
    const x = load<f32>(src + i);
    let y = x;
    if (kind == 1) y = x > 0 ? x : 0;
    else if (kind == 2) y = x > 0 ? (x < 6 ? x : 6) : 0;
    else if (kind == 3) y = x >= 0 ? x : x * alpha;
    store<f32>(dst + i, y);
  }
}
