// @ts-nocheck: AssemblyScript (compiled by scripts/build-wasm.mjs), not TypeScript: its types (usize, v128) and builtins are unknown to tsc.
import { Field } from './header';

/** A header field as a signed integer. */
@inline export function field(header: usize, which: Field): i32 {
  return load<i32>(header + (<usize>which << 2));
}

/** A header field that holds a memory address. */
@inline export function pointer(header: usize, which: Field): usize {
  return <usize>load<u32>(header + (<usize>which << 2));
}

@inline export function setField(header: usize, which: Field, value: i32): void {
  store<i32>(header + (<usize>which << 2), value);
}

/**
 * `acc + a·b` lane-wise. Built twice (see scripts/build-wasm.mjs): with relaxed SIMD this is one
 * fused multiply-add (half the floating-point instructions of the inner loops; rounding may differ
 * from the separate multiply and add in the last bit), otherwise a multiply then an add.
 */
@inline export function madd(acc: v128, a: v128, b: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, acc);
  return f32x4.add(acc, f32x4.mul(a, b));
}
