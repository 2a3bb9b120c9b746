/** One worker running reliability cases one at a time, replaced when a case overruns its time limit. */
import { Worker } from 'node:worker_threads';
import type { WorkerCase, WorkerReply } from './case-worker.js';

export class CaseRunner {
  private worker: Worker | undefined;
  private nextId = 0;

  /** The case's reply, or `hang` when it took longer than `timeoutMs` (the worker is then killed). */
  async run(job: WorkerCase, timeoutMs: number): Promise<WorkerReply | { outcome: 'hang'; detail: string }> {
    const worker = (this.worker ??= new Worker(new URL('./case-worker.ts', import.meta.url)));
    const id = this.nextId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        cleanup();
        void worker.terminate();
        this.worker = undefined;
        resolve({ outcome: 'hang', detail: `no result within ${timeoutMs} ms` });
      }, timeoutMs);
      const onMessage = (reply: WorkerReply) => {
        if (reply.id !== id) return;
        cleanup();
        resolve(reply);
      };
      const onError = (error: Error) => {
        cleanup();
        this.worker = undefined;
        resolve({ id, outcome: 'unclean', detail: `the worker died: ${error.message}` });
      };
      const cleanup = () => {
        clearTimeout(timer);
        worker.off('message', onMessage);
        worker.off('error', onError);
      };
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.postMessage({ id, job });
    });
  }

  async close(): Promise<void> {
    await this.worker?.terminate();
    this.worker = undefined;
  }
}
