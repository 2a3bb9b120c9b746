// @ts-nocheck: AssemblyScript (compiled by scripts/build-wasm.mjs), not TypeScript: its types (usize, v128) and builtins are unknown to tsc.
/** The wasm module's exports: plain kernels over memory the JS side allocates (see `header.ts`). */
export { convDenseGeneral } from './dense';
export { convDenseDepthwise } from './depthwise';
export { detectActive, findNonFinite, clearTouched, integrateWhole } from './activity';
export { scatterGeneral, scatterDepthwise } from './scatter';
export { markTouched, recomputeGeneral, recomputeDepthwise } from './recompute';
export { activate, activateTouched } from './activation';
export { convertFrame } from './convert';
