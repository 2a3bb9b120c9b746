/**
 * The browser's twin of src/model/stage-thread.ts: the stage worker of the two-thread frame
 * pipeline as a module Web Worker (`rx-rrm-stage-worker.js`, built beside the bundle). A page can
 * neither block nor read a message synchronously, so this thread has no `poll`/`wait`: the pipeline
 * queues frames while it is full and emits results from the worker's messages.
 */
import type { FromStage, ModelRecipe, ToStage } from '../model/pipeline-protocol.js';
import { StagePool, type Pooled } from '../model/stage-pool.js';
import type { StageThread } from '../model/stage-thread.js';

export type { StageThread };

/**
 * Share of the estimated work the page's thread keeps (src/model/pipeline-cut.ts): less than on
 * Node, where the caller's thread runs RxJS and converts frames natively; here it also runs the
 * page, and converts frames in WebAssembly.
 */
export const CALLER_SHARE = 0.35;

const WORKER_URL = new URL('./rx-rrm-stage-worker.js', import.meta.url);

const pool = new StagePool((recipe) => new PageStageThread(recipe, (thread) => pool.release(recipe, thread)));

export function acquireStageThread(recipe: ModelRecipe): StageThread {
  return pool.acquire(recipe);
}

class PageStageThread implements StageThread, Pooled {
  private readonly worker: Worker;
  private listener: ((message: FromStage) => void) | undefined;
  private failure: FromStage | undefined;
  private failed = false;

  constructor(recipe: ModelRecipe, private readonly toPool: (thread: PageStageThread) => void) {
    this.worker = new Worker(WORKER_URL, { type: 'module', name: 'rx-rrm pipeline stage' });
    this.worker.onmessage = (event: MessageEvent<FromStage>) => this.listener?.(event.data);
    this.worker.onerror = (event) => {
      event.preventDefault();
      this.failure = { type: 'error', session: undefined, name: 'Error', message: `the pipeline's stage worker failed: ${event.message || `it could not load ${WORKER_URL.href}`}` };
      this.listener?.(this.failure);
    };
    this.send({ type: 'init', recipe });
  }

  get usable(): boolean {
    return !this.failed && this.failure === undefined;
  }

  activate(): void {
    // A worker that failed while idle reports it to its next user at once.
    if (this.failure) queueMicrotask(() => this.failure && this.listener?.(this.failure));
  }

  send(message: ToStage, transfer: ArrayBuffer[] = []): void {
    this.worker.postMessage(message, transfer);
  }

  listen(listener: ((message: FromStage) => void) | undefined): void {
    this.listener = listener;
  }

  release(failed: boolean): void {
    this.listener = undefined;
    this.failed ||= failed;
    this.toPool(this);
  }

  terminate(): void {
    this.worker.terminate();
  }
}
