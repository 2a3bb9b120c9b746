/**
 * A live ffmpeg input (camera, network stream) that survives its decoder: when ffmpeg dies (exits,
 * errors, or stalls for `idleTimeoutMs`), it is started again with backoff, following RxJS's
 * `retry` conventions. The first frame after a restart is marked `keyframe: true` (the layers
 * downstream recompute from scratch: the picture may have jumped) and every frame carries the
 * number of restarts so far in `reconnects`; `index` keeps counting across restarts, while
 * `timestamp` is the restarted decoder's own (it may start again from 0).
 */
import { defer, Observable, retry, throwError, timer, type ObservableInput, type Subscriber } from 'rxjs';
import type { Frame } from '../types.js';
import { decodeWithFfmpeg, resolveFfmpeg, type DecodeRequest } from './ffmpeg.js';
import type { LiveDelivery } from './live-policy.js';

/** RxJS's `RetryConfig`, for restarting a live decoder. */
export interface LiveRetryConfig {
  /** Restarts in a row before the error is passed on; default Infinity. */
  readonly count?: number;
  /** Milliseconds before a restart, or a function of the error and the restart number (from 1) giving a notifier. */
  readonly delay?: number | ((error: unknown, retryCount: number) => ObservableInput<unknown>);
  /** Count restarts in a row only: a frame resets the count (default true here). */
  readonly resetOnSuccess?: boolean;
}

export interface LiveDecoderOptions {
  /**
   * Restarting a decoder that died after delivering frames. Default `{ count: Infinity, delay:
   * 0.5 s doubling to 10 s, resetOnSuccess: true }`; a decoder that fails before its first frame
   * ever (wrong device, bad URL, no ffmpeg) errors at once unless `retry` is given. A number is
   * the count; `false` or `0` never restarts.
   */
  readonly retry?: number | false | LiveRetryConfig;
  /** A decoder that delivers no frame for this long is treated as dead (and restarted); default 10 s. */
  readonly idleTimeoutMs?: number;
  /** Hears of each restart; default `console.warn`. */
  readonly onRestart?: (error: Error, restart: number) => void;
}

/** A frame of a live decoder; see `LiveFrame`. */
export interface RestartableFrame extends Frame {
  /** Times this stream came back after its decoder died (0 until the first). */
  readonly reconnects: number;
}

export const DEFAULT_LIVE_IDLE_TIMEOUT_MS = 10_000;

/** 0.5 s, 1 s, 2 s, ... capped at 10 s. */
export function restartBackoff(retryCount: number): number {
  return Math.min(500 * 2 ** (retryCount - 1), 10_000);
}

/** The options' problem as a message, or undefined. */
export function checkLiveDecoderOptions(options: LiveDecoderOptions): string | undefined {
  const { retry: config, idleTimeoutMs } = options;
  if (idleTimeoutMs !== undefined && !(typeof idleTimeoutMs === 'number' && idleTimeoutMs > 0)) {
    return `idleTimeoutMs must be a number of milliseconds > 0 (Infinity: no timeout), got ${idleTimeoutMs}`;
  }
  if (config === undefined || config === false) return undefined;
  const count = typeof config === 'number' ? config : config.count;
  if (count !== undefined && !(count === Infinity || (Number.isInteger(count) && count >= 0))) return `retry count must be an integer ≥ 0 or Infinity, got ${count}`;
  if (typeof config === 'object' && typeof config.delay === 'number' && !(config.delay >= 0)) return `retry delay must be a number of milliseconds ≥ 0, got ${config.delay}`;
  return undefined;
}

/** The error a live decoder run ends with when ffmpeg stops: a live input has no natural end. */
class DecoderStopped extends Error {}

/**
 * Frames of a live ffmpeg input into `delivery`, restarting as configured. Returns the teardown.
 * `request` is built per run (`runNumber` from 0), so each restart opens the input afresh.
 */
export function runLiveDecoder(
  source: string,
  options: LiveDecoderOptions & { readonly ffmpegPath?: string },
  request: () => DecodeRequest,
  delivery: LiveDelivery,
): () => void {
  let runs = 0;
  let reconnects = 0;
  let index = 0;
  let everDelivered = false;
  let restartPending = false;
  const idleTimeoutMs = options.idleTimeoutMs ?? DEFAULT_LIVE_IDLE_TIMEOUT_MS;
  const report = options.onRestart ?? ((error: Error, restart: number) => console.warn(`${source}: restarting the decoder (restart ${restart}) after: ${error.message}`));
  const oneRun = defer(() => {
    if (runs++ > 0) restartPending = true;
    return decodeOnce(request(), idleTimeoutMs, options.ffmpegPath);
  });
  const restarting = options.retry === false || options.retry === 0 ? oneRun : oneRun.pipe(retry(retryConfig(options, () => everDelivered, report)));
  const subscription = restarting.subscribe({
    next: (frame) => {
      everDelivered = true;
      const restarted = restartPending;
      restartPending = false;
      if (restarted) reconnects++;
      const live: RestartableFrame = { ...frame, index: index++, reconnects, ...(restarted ? { keyframe: true } : {}) };
      delivery.offer(0, live);
    },
    error: (error: unknown) => delivery.end(error instanceof DecoderStopped ? new Error(`${source}: ${error.message}`) : error),
    complete: () => delivery.end(),
  });
  return () => subscription.unsubscribe();
}

function retryConfig(options: LiveDecoderOptions, everDelivered: () => boolean, report: (error: Error, restart: number) => void) {
  const given = typeof options.retry === 'number' ? { count: options.retry } : (options.retry as LiveRetryConfig | undefined);
  const delay = given?.delay ?? ((_error: unknown, retryCount: number) => timer(restartBackoff(retryCount)));
  return {
    count: given?.count ?? Infinity,
    resetOnSuccess: given?.resetOnSuccess ?? true,
    delay: (error: unknown, retryCount: number): ObservableInput<unknown> => {
      // By default only a decoder that worked is restarted: failing at once means a wrong input.
      if (given === undefined && !everDelivered()) return throwError(() => error);
      report(error as Error, retryCount);
      return typeof delay === 'number' ? timer(delay) : delay(error, retryCount);
    },
  };
}

/** One ffmpeg run as an Observable: its frames, then an error when it stops or stalls. */
function decodeOnce(request: DecodeRequest, idleTimeoutMs: number, ffmpegPath: string | undefined): Observable<Frame> {
  return new Observable<Frame>((subscriber: Subscriber<Frame>) => {
    const controller = new AbortController();
    let stalled: ReturnType<typeof setTimeout> | undefined;
    const watch = () => {
      clearTimeout(stalled);
      if (!Number.isFinite(idleTimeoutMs)) return;
      stalled = setTimeout(() => {
        controller.abort();
        subscriber.error(new DecoderStopped(`no frame for ${idleTimeoutMs} ms (idleTimeoutMs): the input stalled`));
      }, idleTimeoutMs);
    };
    watch();
    (async () => {
      const binary = await resolveFfmpeg(ffmpegPath);
      for await (const frame of decodeWithFfmpeg(binary, request, controller.signal)) {
        watch();
        subscriber.next(frame);
      }
      if (!controller.signal.aborted) subscriber.error(new DecoderStopped(`the decoder of ${request.inputName} stopped (end of input)`));
    })().catch((error: unknown) => {
      if (!controller.signal.aborted) subscriber.error(error);
    });
    return () => {
      clearTimeout(stalled);
      controller.abort();
    };
  });
}

