/**
 * `redisWorkers`: one worker of a pool sharing the cameras in Redis. Every `leaseMs / 4` it
 * heartbeats (the registry of live workers), renews its leases, and moves toward its fair share,
 * `ceil(cameras / live workers)`: it drains and releases the cameras it ranks lowest when it holds
 * too many, and acquires free ones it ranks highest when it holds too few. Each camera it holds runs
 * in a `CameraRunner` with its own subscription of the pipeline.
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { Observable, type OperatorFunction, type Subscriber } from 'rxjs';
import { checkRedisUrl, closeRedis, integerAtLeast, openRedis, type RedisConnectionOptions } from '../sources/redis-client.js';
import { checkCameraName, checkCameraPattern, redisKeys } from '../sources/redis-keys.js';
import { DEFAULT_DEAD_MAX_LEN } from '../sources/redis-stream.js';
import type { Frame } from '../types.js';
import { CameraRunner, type RunnerSettings } from './camera-runner.js';
import { byPreference, fairShare } from './fair-share.js';
import type { ResultOptions, WorkerOutput } from './result-fields.js';
import { scanCameras } from './status.js';
import type { WorkerEvent } from './worker-events.js';
import { ACQUIRE, HEARTBEAT, RELEASE, RENEW } from './worker-scripts.js';

export interface RedisWorkersOptions extends RedisConnectionOptions {
  /** The cameras this pool serves: a name with `*` and `?` wildcards; default `'*'`. */
  readonly cameras?: string;
  /** This worker's name (letters, digits, `.`, `_`, `-`): its consumer name and what results record. */
  readonly workerId: string;
  /** Frames to outputs, one output per frame; subscribed once per camera (e.g. `model.pipeline({ threshold })`). */
  readonly pipeline: OperatorFunction<Frame, WorkerOutput>;
  /** What results hold: the output tensors and/or a decoder's detections. */
  readonly result?: ResultOptions;
  /**
   * A lease lasts this long unless renewed (renewed every quarter of it); a worker that stops
   * renewing loses its cameras after it, and leaves the registry after it. Default 3000 ms.
   */
  readonly leaseMs?: number;
  /** Entries read per camera at a time (and so at most in hand when giving a camera up); default 8. */
  readonly batchSize?: number;
  /** Results kept per camera (`MAXLEN ~`); default 10000. */
  readonly resultMaxLen?: number;
  /** Largest frame accepted (bigger entries are dead-lettered); default 64 MiB. */
  readonly maxFrameBytes?: number;
  /** When it emits, the worker gives up its cameras gracefully (in-hand frames finished), leaves the registry, and completes. */
  readonly until?: Observable<unknown>;
}

/**
 * Runs a worker for as long as it is subscribed, emitting what it does. Unsubscribing stops it at
 * once (frames in hand are left pending for the next owner, which processes them); `until` stops
 * it gracefully. Redis connection loss is retried with backoff (see redis-client.ts).
 */
export function redisWorkers(url: string, options: RedisWorkersOptions): Observable<WorkerEvent> {
  checkRedisUrl(url);
  const workerId = checkCameraName(options.workerId, 'workerId');
  const pattern = checkCameraPattern(options.cameras ?? '*');
  if (typeof options.pipeline !== 'function') throw new TypeError('redisWorkers: pipeline must be an operator (Frame -> outputs), e.g. model.pipeline()');
  const leaseMs = integerAtLeast(options.leaseMs ?? 3000, 100, 'leaseMs');
  const settings: RunnerSettings = {
    leaseMs,
    batchSize: integerAtLeast(options.batchSize ?? 8, 1, 'batchSize'),
    blockMs: Math.max(50, Math.round(leaseMs / 4)),
    resultMaxLen: integerAtLeast(options.resultMaxLen ?? 10_000, 1, 'resultMaxLen'),
    deadMaxLen: DEFAULT_DEAD_MAX_LEN,
    maxFrameBytes: options.maxFrameBytes,
    connection: options,
    result: options.result ?? {},
  };
  return new Observable<WorkerEvent>((subscriber) => {
    const worker = new Worker(url, workerId, pattern, options.pipeline, settings, subscriber);
    const stopping = options.until?.subscribe(() => void worker.stop().then(() => subscriber.complete()));
    return () => {
      stopping?.unsubscribe();
      worker.abandon();
    };
  });
}

class Worker {
  private readonly instance: string;
  private readonly control: Redis;
  private readonly runners = new Map<string, CameraRunner>();
  private timer: NodeJS.Timeout | undefined;
  private ticks = 0;
  private lastShare = '';
  private stopped = false;

  constructor(
    private readonly url: string,
    private readonly workerId: string,
    private readonly pattern: string,
    private readonly pipeline: OperatorFunction<Frame, WorkerOutput>,
    private readonly settings: RunnerSettings,
    private readonly subscriber: Subscriber<WorkerEvent>,
  ) {
    this.instance = `${workerId}/${randomBytes(4).toString('hex')}`;
    this.control = openRedis(url, settings.connection, `rrm-worker:${workerId}`);
    this.report({ type: 'started', workerId, instance: this.instance });
    void this.tick();
  }

  /** Graceful: drain and release every camera, leave the registry. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.timer);
    await Promise.all([...this.runners.values()].map((runner) => runner.drain()));
    await this.control.zrem(redisKeys.workers(this.pattern), this.instance).catch(() => undefined);
    closeRedis(this.control);
  }

  /** At once: runners stop; leases are released and the registry left as a courtesy, if Redis answers soon. */
  abandon(): void {
    if (!this.stopped) {
      this.stopped = true;
      clearTimeout(this.timer);
      const releases = [...this.runners.entries()].map(([camera, runner]) => {
        runner.abandon();
        return RELEASE.run(this.control, [redisKeys.lease(camera), redisKeys.fence(camera)], [this.instance, runner.token]);
      });
      const done = Promise.allSettled([...releases, this.control.zrem(redisKeys.workers(this.pattern), this.instance)]);
      const timeout = setTimeout(() => closeRedis(this.control), 1000);
      timeout.unref();
      void done.then(() => {
        clearTimeout(timeout);
        closeRedis(this.control);
      });
    }
    this.runners.clear();
  }

  private report(event: WorkerEvent): void {
    if (!this.subscriber.closed) this.subscriber.next(event);
  }

  private async tick(): Promise<void> {
    try {
      await this.balance();
    } catch (error) {
      if (!this.stopped) this.report({ type: 'error', message: (error as Error).message });
    }
    if (!this.stopped) this.timer = setTimeout(() => void this.tick(), Math.max(25, Math.round(this.settings.leaseMs / 4)));
  }

  private async balance(): Promise<void> {
    const { leaseMs } = this.settings;
    const live = (await HEARTBEAT.run(this.control, [redisKeys.workers(this.pattern)], [this.instance, leaseMs])) as string[];
    const cameras = await scanCameras(this.control, this.pattern);
    await this.renewLeases();
    if (this.stopped) return;
    const share = fairShare(cameras.length, live.length);
    this.ticks++;
    // One heartbeat period first, so that workers started together see each other before taking cameras.
    if (this.ticks < 2) return;
    const active = [...this.runners.values()].filter((runner) => !runner.draining);
    if (active.length > share) {
      const ranked = byPreference(this.workerId, active.map((runner) => runner.camera));
      for (const camera of ranked.slice(share)) void this.runners.get(camera)!.drain();
    } else if (active.length < share) {
      const wanted = share - active.length;
      const candidates = cameras.filter((camera) => !this.runners.has(camera));
      const holders = candidates.length > 0 ? await this.control.mget(candidates.map((camera) => redisKeys.lease(camera))) : [];
      const free = candidates.filter((_, i) => holders[i] === null);
      let taken = 0;
      for (const camera of byPreference(this.workerId, free)) {
        if (taken >= wanted || this.stopped) break;
        const token = (await ACQUIRE.run(this.control, [redisKeys.lease(camera), redisKeys.fence(camera)], [this.instance, leaseMs])) as number | null;
        if (token === null) continue;
        if (this.stopped) {
          await RELEASE.run(this.control, [redisKeys.lease(camera), redisKeys.fence(camera)], [this.instance, token]);
          break;
        }
        taken++;
        this.start(camera, token);
      }
    }
    const held = [...this.runners.values()].filter((runner) => !runner.draining).length;
    const summary = `${cameras.length}/${live.length}/${share}/${held}`;
    if (summary !== this.lastShare) {
      this.lastShare = summary;
      this.report({ type: 'share', cameras: cameras.length, workers: live.length, share, held });
    }
  }

  private start(camera: string, token: number): void {
    this.report({ type: 'acquired', camera, token });
    const runner = new CameraRunner({
      url: this.url, camera, workerId: this.workerId, instance: this.instance, token, pipeline: this.pipeline, settings: this.settings,
      report: (event) => this.report(event),
    });
    this.runners.set(camera, runner);
    void runner.done.then(() => {
      if (this.runners.get(camera) === runner) this.runners.delete(camera);
    });
  }

  /** Renews every lease in one round trip; a camera whose token is no longer the latest is dropped at once. */
  private async renewLeases(): Promise<void> {
    const held = [...this.runners.values()];
    const renewed = await Promise.all(
      held.map((runner) => RENEW.run(this.control, [redisKeys.lease(runner.camera), redisKeys.fence(runner.camera)], [this.instance, runner.token, this.settings.leaseMs])),
    );
    held.forEach((runner, i) => {
      if (renewed[i] === 1 || this.runners.get(runner.camera) !== runner) return;
      runner.abandon();
      this.runners.delete(runner.camera);
      this.report({ type: 'lost', camera: runner.camera, token: runner.token });
    });
  }
}
