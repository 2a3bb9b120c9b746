/**
 * One camera on one worker, for as long as the worker holds its lease: reads the camera's entries
 * through the consumer group in batches, runs them through its own pipeline session, and writes
 * each result with the input's acknowledgement in one fenced step (WRITE_RESULT).
 *
 * Before each batch it takes over (XAUTOCLAIM) every entry of the group still pending below the batch (CLAIM_STRAYS):
 * the previous owner's unfinished work, a frame a stuck owner's blocked read took after losing the
 * camera, or one whose reply a dropped connection lost. It has nothing of its own in flight at
 * that point, so whatever is pending below the batch belongs to no live owner, and processing it
 * first keeps the camera's results in entry order: Redis refuses a result ID below the last one.
 */
import type { Redis } from 'ioredis';
import type { OperatorFunction } from 'rxjs';
import { closeRedis, openRedis, type RedisConnectionOptions } from '../sources/redis-client.js';
import { decodeFrameEntry, MalformedEntryError } from '../sources/redis-entry.js';
import { redisKeys } from '../sources/redis-keys.js';
import { ensureGroup, parseEntries, readGroup, type StreamEntry } from '../sources/redis-read.js';
import { DEAD_LETTER } from '../sources/redis-source-scripts.js';
import type { Frame } from '../types.js';
import { PipelineSession } from './pipeline-session.js';
import { resultFields, type ResultOptions, type WorkerOutput } from './result-fields.js';
import type { WorkerEvent } from './worker-events.js';
import { CLAIM_STRAYS, RELEASE, WRITE_RESULT } from './worker-scripts.js';

export interface RunnerSettings {
  readonly leaseMs: number;
  readonly batchSize: number;
  readonly blockMs: number;
  readonly resultMaxLen: number;
  readonly deadMaxLen: number;
  readonly maxFrameBytes: number | undefined;
  readonly connection: RedisConnectionOptions;
  readonly result: ResultOptions;
}

export interface RunnerContext {
  readonly url: string;
  readonly camera: string;
  readonly workerId: string;
  readonly instance: string;
  readonly token: number;
  readonly pipeline: OperatorFunction<Frame, WorkerOutput>;
  readonly settings: RunnerSettings;
  readonly report: (event: WorkerEvent) => void;
}

/** The token was no longer the camera's latest: another worker holds it. */
class LeaseLost extends Error {}

export class CameraRunner {
  /** Resolves when the runner has stopped (after releasing the camera, when draining). */
  readonly done: Promise<void>;
  private state: 'running' | 'draining' | 'stopped' = 'running';
  private readonly redis: Redis;
  private readonly keys: { frames: string; results: string; fence: string; lease: string; stats: string; dead: string };
  private session: PipelineSession<WorkerOutput>;

  constructor(private readonly context: RunnerContext) {
    const { camera } = context;
    this.keys = {
      frames: redisKeys.frames(camera), results: redisKeys.results(camera), fence: redisKeys.fence(camera),
      lease: redisKeys.lease(camera), stats: redisKeys.stats(camera), dead: redisKeys.dead(camera),
    };
    this.redis = openRedis(context.url, context.settings.connection, `rrm-worker:${context.workerId}:${camera}`);
    this.session = new PipelineSession(context.pipeline);
    this.done = this.run();
  }

  get camera(): string {
    return this.context.camera;
  }

  get token(): number {
    return this.context.token;
  }

  get draining(): boolean {
    return this.state !== 'running';
  }

  /** Finishes the batch in hand (results written, inputs acknowledged), then releases the camera. */
  drain(): Promise<void> {
    if (this.state === 'running') this.state = 'draining';
    return this.done;
  }

  /** Stops at once without writing anything more: the lease is gone, or the worker is going away. */
  abandon(): void {
    this.state = 'stopped';
    closeRedis(this.redis);
  }

  private async run(): Promise<void> {
    const { camera, token } = this.context;
    try {
      await ensureGroup(this.redis, this.keys.frames, redisKeys.workerGroup);
      let first = true;
      while (this.state === 'running' || first) {
        // First round: no read, only what earlier owners left pending.
        const batch = first ? [] : await readGroup(this.redis, this.keys.frames, redisKeys.workerGroup, this.context.workerId, '>', this.context.settings.batchSize, this.context.settings.blockMs);
        first = false;
        if (this.state === 'stopped') return;
        const strays = await this.claimStrays(batch[0]?.id ?? '+');
        await this.processBatch([...strays, ...batch]);
      }
      if (this.state === 'draining') {
        await RELEASE.run(this.redis, [this.keys.lease, this.keys.fence], [this.context.instance, token]);
        this.context.report({ type: 'released', camera, token });
      }
    } catch (error) {
      if (this.state === 'stopped') return;
      if (error instanceof LeaseLost) {
        this.context.report({ type: 'lost', camera, token });
      } else {
        this.context.report({ type: 'error', camera, message: (error as Error).message });
        // Give the camera back so that this or another worker starts it afresh.
        await RELEASE.run(this.redis, [this.keys.lease, this.keys.fence], [this.context.instance, token]).catch(() => undefined);
      }
    } finally {
      this.state = 'stopped';
      this.session.dispose();
      closeRedis(this.redis);
    }
  }

  private async claimStrays(before: string): Promise<StreamEntry[]> {
    const reply = await CLAIM_STRAYS.run(this.redis, [this.keys.frames, this.keys.fence], [redisKeys.workerGroup, this.context.workerId, this.context.token, before, 100], true);
    if (reply === -1) throw new LeaseLost();
    const [claimed, trimmed] = reply as [unknown, Buffer[]];
    if (trimmed.length > 0) this.context.report({ type: 'trimmed', camera: this.context.camera, entryIds: trimmed.map(String) });
    const entries = parseEntries(claimed);
    if (entries.length > 0) this.context.report({ type: 'claimed', camera: this.context.camera, entryIds: entries.map((entry) => entry.id) });
    return entries;
  }

  /** Each entry in order; writes are sent as results come (pipelined) and awaited together at the end. */
  private async processBatch(entries: readonly StreamEntry[]): Promise<void> {
    let failure: { error: unknown } | undefined;
    const writes: Promise<void>[] = [];
    for (const entry of entries) {
      if (this.state === 'stopped' || failure) break;
      // Caught at once: a write refused while later frames run must not be an unhandled rejection.
      writes.push(this.process(entry).then(undefined, (error: unknown) => void (failure ??= { error })));
      // The next frame waits for this one's output (not its write): a pipeline runs one frame at a time.
      await this.outputReady;
    }
    await Promise.all(writes);
    if (failure) throw failure.error;
  }

  /** Settles when the frame in the pipeline has its output (the write may still be in flight). */
  private outputReady: Promise<void> = Promise.resolve();

  /** Runs one entry through the pipeline, then writes its result (or dead-letters it). */
  private process(entry: StreamEntry): Promise<void> {
    let frame: Frame;
    try {
      frame = decodeFrameEntry(entry.fields ?? [], 0, this.context.settings.maxFrameBytes).frame;
    } catch (error) {
      if (!(error instanceof MalformedEntryError)) return Promise.reject(error);
      this.outputReady = Promise.resolve();
      return this.deadLetter(entry.id, error.message);
    }
    if (this.session.failed) this.session = new PipelineSession(this.context.pipeline);
    const keyframe = this.session.fresh || frame.keyframe === true;
    const started = performance.now();
    const output = this.session.run(keyframe ? { ...frame, keyframe: true } : frame);
    this.outputReady = output.then(() => undefined, () => undefined);
    return output.then(
      (value) => {
        const meta = { worker: this.context.workerId, token: this.context.token, ms: performance.now() - started, keyframe };
        return this.writeResult(entry.id, frame.index, resultFields(value, meta, this.context.settings.result), keyframe);
      },
      // This frame only: the next one starts a new session with a keyframe.
      (error: unknown) => this.deadLetter(entry.id, `the pipeline failed on this frame: ${(error as Error).message}`),
    );
  }

  private async writeResult(entryId: string, index: number, fields: (string | Buffer)[], keyframe: boolean): Promise<void> {
    const { camera, token, instance, settings } = this.context;
    const written = await WRITE_RESULT.run(
      this.redis,
      [this.keys.frames, this.keys.results, this.keys.fence, this.keys.lease, this.keys.stats],
      [redisKeys.workerGroup, entryId, token, instance, settings.leaseMs, keyframe ? 1 : 0, settings.resultMaxLen, ...fields],
    );
    if (written === -1) throw new LeaseLost();
    // Never expected (results are written in entry order); said loudly rather than lost quietly.
    if (written === -2) return this.deadLetter(entryId, 'its result came after a later frame\'s result (written out of order), so Redis refused it');
    this.context.report({ type: 'result', camera, entryId, index, keyframe, written: written === 1, token });
  }

  private async deadLetter(entryId: string, reason: string): Promise<void> {
    const { camera, token, workerId, settings } = this.context;
    const moved = await DEAD_LETTER.run(this.redis, [this.keys.frames, this.keys.dead, this.keys.fence, this.keys.stats], [redisKeys.workerGroup, entryId, reason, workerId, token, settings.deadMaxLen]);
    if (moved === -1) throw new LeaseLost();
    this.context.report({ type: 'dead', camera, entryId, reason });
  }
}
