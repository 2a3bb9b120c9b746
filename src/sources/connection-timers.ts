/**
 * The three clocks of one receiving connection: silence (`idleTimeoutMs`), a header started but not
 * finished (`headerTimeoutMs`) and a frame started but not finished (`frameTimeoutMs`). A peer
 * that trickles a byte now and then (slow loris) keeps the first quiet but not the other two.
 *
 * One timer per clock, re-armed only when it fires early: activity just records the time, so a
 * busy connection costs no timer churn per chunk.
 */
import { ReceiveLimitError, type ResolvedReceiveLimits } from './receive-limits.js';

type Clock = 'idleTimeoutMs' | 'headerTimeoutMs' | 'frameTimeoutMs';

export class ConnectionTimers {
  private lastActivity = Date.now();
  private readonly since: Partial<Record<Clock, number>> = {};
  private readonly timers: Partial<Record<Clock, ReturnType<typeof setTimeout>>> = {};
  private stopped = false;

  constructor(
    private readonly limits: ResolvedReceiveLimits,
    private readonly onTimeout: (error: ReceiveLimitError) => void,
  ) {
    this.arm('idleTimeoutMs', this.lastActivity);
  }

  /** Bytes arrived. */
  activity(): void {
    this.lastActivity = Date.now();
  }

  /** A frame (its header first) started now; restarts both clocks if one was running. */
  frameStarted(): void {
    const now = Date.now();
    this.arm('headerTimeoutMs', now);
    this.arm('frameTimeoutMs', now);
  }

  headerDone(): void {
    this.disarm('headerTimeoutMs');
  }

  frameDone(): void {
    this.disarm('headerTimeoutMs');
    this.disarm('frameTimeoutMs');
  }

  get frameRunning(): boolean {
    return this.since.frameTimeoutMs !== undefined;
  }

  stop(): void {
    this.stopped = true;
    for (const clock of ['idleTimeoutMs', 'headerTimeoutMs', 'frameTimeoutMs'] as const) this.disarm(clock);
  }

  private arm(clock: Clock, start: number): void {
    this.disarm(clock);
    const limit = this.limits[clock];
    if (this.stopped || !Number.isFinite(limit)) return;
    this.since[clock] = start;
    this.schedule(clock, start + limit - Date.now());
  }

  private schedule(clock: Clock, delay: number): void {
    const timer = setTimeout(() => this.check(clock), Math.max(0, delay));
    // A watchdog must not keep the process alive on its own.
    timer.unref?.();
    this.timers[clock] = timer;
  }

  private check(clock: Clock): void {
    const start = clock === 'idleTimeoutMs' ? this.lastActivity : this.since[clock];
    if (this.stopped || start === undefined) return;
    const remaining = start + this.limits[clock] - Date.now();
    if (remaining > 0) return this.schedule(clock, remaining);
    this.stop();
    this.onTimeout(new ReceiveLimitError(clock, TIMEOUT_MESSAGES[clock](this.limits[clock])));
  }

  private disarm(clock: Clock): void {
    clearTimeout(this.timers[clock]);
    delete this.timers[clock];
    delete this.since[clock];
  }
}

const TIMEOUT_MESSAGES: Record<Clock, (ms: number) => string> = {
  idleTimeoutMs: (ms) => `no data for ${ms} ms (idleTimeoutMs): the peer stalled or is gone`,
  headerTimeoutMs: (ms) => `a frame header took more than ${ms} ms (headerTimeoutMs) to arrive`,
  frameTimeoutMs: (ms) => `a frame took more than ${ms} ms (frameTimeoutMs) to arrive`,
};
