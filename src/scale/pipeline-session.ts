/**
 * One subscription of a worker's pipeline for one camera: its own layer state (weights shared with
 * every other subscription of the same operator), fed a frame at a time. The pipeline must emit one
 * output per frame, in order, as `model.pipeline()` and the library's layers do.
 */
import { Subject, type OperatorFunction, type Subscription } from 'rxjs';
import type { Frame } from '../types.js';

export class PipelineSession<T> {
  private readonly input = new Subject<Frame>();
  private readonly waiting: { resolve: (output: T) => void; reject: (error: unknown) => void }[] = [];
  private readonly subscription: Subscription;
  private failure: { error: unknown } | undefined;
  private frames = 0;

  constructor(pipeline: OperatorFunction<Frame, T>) {
    this.subscription = this.input.pipe(pipeline).subscribe({
      next: (output) => this.waiting.shift()?.resolve(output),
      error: (error: unknown) => this.fail(error),
      complete: () => this.fail(new Error('the pipeline completed while frames were still coming')),
    });
  }

  /** True until the first frame: the session's first frame must be a keyframe. */
  get fresh(): boolean {
    return this.frames === 0;
  }

  /** True once the pipeline errored: the session is spent, start a new one. */
  get failed(): boolean {
    return this.failure !== undefined;
  }

  /** The output of `frame` (at once for synchronous pipelines). */
  run(frame: Frame): Promise<T> {
    if (this.failure) return Promise.reject(this.failure.error);
    this.frames++;
    const output = new Promise<T>((resolve, reject) => this.waiting.push({ resolve, reject }));
    this.input.next(frame);
    return output;
  }

  dispose(): void {
    this.subscription.unsubscribe();
    this.fail(new Error('the camera was given up'));
  }

  private fail(error: unknown): void {
    this.failure ??= { error };
    for (const waiter of this.waiting.splice(0)) waiter.reject(error);
  }
}
