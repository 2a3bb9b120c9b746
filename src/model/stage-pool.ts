/**
 * Idle stage workers kept per model between subscriptions (Node and browser threads alike): a
 * model's next subscription finds its worker with the model read and its code compiled.
 */
import type { ModelRecipe } from './pipeline-protocol.js';

/** Idle workers kept per model: enough for a model run by two subscriptions one after the other. */
const MAX_IDLE = 2;

export interface Pooled {
  /** False once the worker failed: it is dropped instead of reused. */
  readonly usable: boolean;
  activate(): void;
  terminate(): void;
}

export class StagePool<T extends Pooled> {
  private readonly idle = new WeakMap<ModelRecipe, T[]>();

  constructor(private readonly start: (recipe: ModelRecipe) => T) {}

  acquire(recipe: ModelRecipe): T {
    const list = this.idle.get(recipe) ?? [];
    let thread = list.pop();
    while (thread && !thread.usable) {
      thread.terminate();
      thread = list.pop();
    }
    thread ??= this.start(recipe);
    thread.activate();
    return thread;
  }

  /** Back to the pool (or terminated when it failed or the pool is full). */
  release(recipe: ModelRecipe, thread: T): void {
    let list = this.idle.get(recipe);
    if (!list) this.idle.set(recipe, (list = []));
    if (thread.usable && list.length < MAX_IDLE) list.push(thread);
    else thread.terminate();
  }
}
