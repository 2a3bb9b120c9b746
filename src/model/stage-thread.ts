/**
 * The stage worker of the two-thread frame pipeline on Node: a `worker_threads` Worker per model,
 * kept in a small pool between subscriptions (warm: its model read, its code compiled). Results
 * come back on a MessagePort that the caller can read synchronously (`receiveMessageOnPort`), and
 * a shared counter lets the caller block until the next one (`Atomics.wait`): a synchronous source
 * (`from(frames)`) then gets backpressure without the event loop, and a live source still gets its
 * results as soon as they are ready through the port's 'message' event.
 * The browser bundle replaces this file (src/browser/stage-thread.ts).
 */
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import type { FromStage, ModelRecipe, ToStage } from './pipeline-protocol.js';
import { StagePool, type Pooled } from './stage-pool.js';

/**
 * Share of the estimated work the caller's thread keeps (src/model/pipeline-cut.ts): below one
 * half, because the caller also converts frames, walks RxJS and hands each frame over. On
 * UltraFace-slim (person clip, τ = 0.02) 0.40-0.50 measured alike; 0.30-0.35 left the caller idle.
 */
export const CALLER_SHARE = 0.45;

export interface StageThread {
  send(message: ToStage, transfer?: ArrayBuffer[]): void;
  /** The next result if one has arrived, without waiting (threads the caller can read synchronously: Node's). */
  poll?(): FromStage | undefined;
  /** Blocks until a result may have arrived since the last `poll`, or `timeoutMs` passed (where the caller may block: Node). */
  wait?(timeoutMs: number): void;
  /** Results that arrive while the caller is idle (the event loop runs); undefined stops listening. */
  listen(listener: ((message: FromStage) => void) | undefined): void;
  /** Back to the pool for the model's next subscription (after 'end' was sent), or terminated when it failed. */
  release(failed: boolean): void;
}

const pool = new StagePool((recipe) => new NodeStageThread(recipe, (thread) => pool.release(recipe, thread)));

export function acquireStageThread(recipe: ModelRecipe): StageThread {
  return pool.acquire(recipe);
}

/** `stage-worker.ts` or `.js`, beside this module in src/ or dist/. */
const WORKER_URL = new URL(`./stage-worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);

class NodeStageThread implements StageThread, Pooled {
  private readonly worker: Worker;
  private readonly port: MessagePort;
  /** [0]: results posted by the worker (it adds one and notifies after each). */
  private readonly posted = new Int32Array(new SharedArrayBuffer(4));
  /** The counter when the caller last polled: a result posted after that ends its wait at once. */
  private seen = 0;
  private listener: ((message: FromStage) => void) | undefined;
  private failure: FromStage | undefined;
  /** A frame failed on it: its state may be anything, so it is not reused. */
  private failed = false;

  constructor(recipe: ModelRecipe, private readonly toPool: (thread: NodeStageThread) => void) {
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.worker = new Worker(WORKER_URL, { workerData: { recipe, port: port2, posted: this.posted }, transferList: [port2] });
    // A failure outside a frame (the worker could not start, or died): reported as the next result.
    const fail = (message: string) => {
      this.failure = { type: 'error', session: undefined, name: 'Error', message: `the pipeline's stage worker failed: ${message}` };
      Atomics.add(this.posted, 0, 1);
      this.listener?.(this.failure);
    };
    this.worker.on('error', (error) => fail(error.message));
    this.worker.on('exit', (code) => fail(`it exited (code ${code})`));
    this.port.on('message', (message: FromStage) => this.listener?.(message));
  }

  activate(): void {
    this.worker.ref();
    this.port.ref();
  }

  send(message: ToStage, transfer: ArrayBuffer[] = []): void {
    this.worker.postMessage(message, transfer);
  }

  poll(): FromStage | undefined {
    this.seen = Atomics.load(this.posted, 0);
    const received = receiveMessageOnPort(this.port);
    return received ? (received.message as FromStage) : this.failure;
  }

  wait(timeoutMs: number): void {
    // A worker that died cannot say so while the caller blocks (its 'exit' event needs the event
    // loop), but its threadId is -1 at once.
    if (Atomics.wait(this.posted, 0, this.seen, timeoutMs) === 'timed-out' && this.worker.threadId === -1) {
      this.failure ??= { type: 'error', session: undefined, name: 'Error', message: "the pipeline's stage worker stopped" };
    }
  }

  listen(listener: ((message: FromStage) => void) | undefined): void {
    this.listener = listener;
  }

  get usable(): boolean {
    return !this.failed && this.failure === undefined;
  }

  release(failed: boolean): void {
    this.listener = undefined;
    this.failed ||= failed;
    // Idle in the pool, it must not keep the process alive.
    this.worker.unref();
    this.port.unref();
    this.toPool(this);
  }

  terminate(): void {
    this.worker.removeAllListeners('exit');
    void this.worker.terminate();
    this.port.close();
  }
}
