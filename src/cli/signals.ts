/** Long-running commands (`serve`, `publish`) stop cleanly on Ctrl-C (SIGINT) or SIGTERM. */

export interface Interruption {
  readonly happened: boolean;
  /** Resolves at the first SIGINT or SIGTERM. */
  readonly promise: Promise<void>;
  /** Waits `ms`, or less when interrupted meanwhile. */
  sleep(ms: number): Promise<void>;
  /** Stops listening for the signals. */
  dispose(): void;
}

export function untilInterrupted(): Interruption {
  let happened = false;
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  const onSignal = () => {
    happened = true;
    resolve();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return {
    get happened() {
      return happened;
    },
    promise,
    sleep: (ms) =>
      new Promise<void>((done) => {
        const timer = setTimeout(done, ms);
        void promise.then(() => {
          clearTimeout(timer);
          done();
        });
      }),
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve();
    },
  };
}
