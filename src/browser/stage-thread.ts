/**
 * The browser's twin of src/model/stage-thread.ts. The two-thread frame pipeline blocks the caller
 * while the worker catches up and reads results synchronously, which a page's main thread cannot do
 * (no `Atomics.wait`, no synchronous message receipt); in the browser, `loadWasmKernels({ threads: 2 })`
 * is the two-thread path.
 */
import { RrmInputError } from '../layers/validate.js';
import type { ModelRecipe } from '../model/pipeline-protocol.js';
import type { StageThread } from '../model/stage-thread.js';

export type { StageThread };

export function acquireStageThread(_recipe: ModelRecipe): StageThread {
  throw new RrmInputError("threads: 2 (the frame pipeline) runs on Node; in the browser use loadWasmKernels({ threads: 2 }) and the model's default threads: 1");
}
