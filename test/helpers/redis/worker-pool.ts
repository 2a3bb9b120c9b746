/**
 * Worker processes for the Redis tests (worker-process.ts in a child Node), each event they print
 * recorded with the worker's id and the time, and camera holdings tracked from the events.
 * Every child is killed at the test's teardown, whatever happened.
 */
import type { ChildProcess } from 'node:child_process';
import { from, interval, lastValueFrom, map, mergeMap, take, takeUntil, Subject, tap } from 'rxjs';
import { toRedisStream, type PublishedFrame } from '../../../src/sources/redis-stream.js';
import { jsonLines, spawnTypescript } from '../ts-child.js';
import { cameraFrames, cameraName } from './demo-pipeline.js';
import { waitFor } from './results.js';

export interface RecordedEvent {
  readonly worker: string;
  readonly type: string;
  readonly at: number;
  readonly camera?: string;
  readonly token?: number;
  readonly [key: string]: unknown;
}

export interface WorkerProcess {
  readonly id: string;
  readonly child: ChildProcess;
  readonly exited: Promise<unknown>;
  stop(): void;
}

export class WorkerPool {
  readonly events: RecordedEvent[] = [];
  readonly workers = new Map<string, WorkerProcess>();

  constructor(
    private readonly url: string,
    private readonly leaseMs: number,
    t: { teardown: (fn: () => unknown) => void },
  ) {
    t.teardown(() => {
      for (const worker of this.workers.values()) {
        worker.child.kill('SIGCONT');
        worker.child.kill('SIGKILL');
      }
    });
  }

  /** Starts a worker process and waits until it has said `started`. */
  async start(id: string, timeoutMs = 60_000): Promise<WorkerProcess> {
    const child = spawnTypescript(new URL('./worker-process.ts', import.meta.url), [this.url, id, String(this.leaseMs)]);
    const exited = jsonLines(child, (line) => this.events.push({ ...(line as { type: string; at: number }), worker: id }));
    const worker: WorkerProcess = { id, child, exited, stop: () => child.stdin!.write('stop\n') };
    this.workers.set(id, worker);
    const started = await waitFor(() => this.events.some((e) => e.worker === id && e.type === 'started'), timeoutMs);
    if (!started) throw new Error(`worker ${id} did not start within ${timeoutMs} ms`);
    return worker;
  }

  /** The cameras each worker holds now, from its acquired / released / lost events. */
  holdings(): Map<string, Set<string>> {
    const held = new Map<string, Set<string>>();
    for (const event of this.events) {
      if (!event.camera) continue;
      const cameras = held.get(event.worker) ?? new Set<string>();
      held.set(event.worker, cameras);
      if (event.type === 'acquired') cameras.add(event.camera);
      if (event.type === 'released' || event.type === 'lost') cameras.delete(event.camera);
    }
    return held;
  }

  /** The worker holding `camera` now, by the events (a killed worker still counts until another acquires). */
  ownerOf(camera: string): string | undefined {
    let owner: string | undefined;
    for (const event of this.events) if (event.camera === camera && event.type === 'acquired') owner = event.worker;
    return owner;
  }
}

/**
 * `count` simulated cameras publishing generated scenes at `fps` until `stop` emits; resolves with
 * each camera's published frames.
 */
export function publishCameras(url: string, count: number, fps: number, stop: Subject<void>, maxFrames = 2000): Promise<PublishedFrame[][]> {
  const published: PublishedFrame[][] = Array.from({ length: count }, () => []);
  const cameras = Array.from({ length: count }, (_, n) => n);
  return lastValueFrom(
    from(cameras).pipe(
      mergeMap((n) => {
        const frames = cameraFrames(n, maxFrames);
        return interval(1000 / fps).pipe(
          take(maxFrames),
          takeUntil(stop),
          map((i) => frames[i]!),
          toRedisStream(url, { camera: cameraName(n), maxLen: 10_000 }),
          tap((frame) => published[n]!.push(frame)),
        );
      }),
    ),
    { defaultValue: undefined },
  ).then(() => published);
}
