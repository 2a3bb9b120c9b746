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
