/**
 * How long the reliability suite runs: `npm test` runs each part briefly (seconds), `npm run fuzz`
 * and `npm run soak` (RRM_RELIABILITY=long) run the bounded long versions the README reports.
 * Every part also stops at its time budget, so a slow machine shortens a run instead of hanging it.
 */
export const LONG = process.env.RRM_RELIABILITY === 'long';

export const SCALE = {
  /** Fuzzed TCP connections, and their time budget (ms). */
  tcpCases: LONG ? 6400 : 150,
  wsCases: LONG ? 3000 : 80,
  protocolBudgetMs: LONG ? 240_000 : 15_000,
  /** Seconds of each flood. */
  floodSeconds: LONG ? 30 : 4,
  /** Random truncations (over every container) and byte-flipped videos. */
  truncations: LONG ? 60 : 16,
  byteFlips: LONG ? 40 : 8,
  /** Mutated Y4M files, images and ONNX models. */
  fileCases: LONG ? 400 : 60,
  /** Random operator options per backend. */
  optionCases: LONG ? 2000 : 150,
  /** Frames of the soak. */
  soakFrames: LONG ? 10_000 : 1_000,
} as const;

/** A per-case time limit: a case that takes longer is a hang and fails the test. */
export const CASE_TIMEOUT_MS = 5_000;

/** Resolves with the value, or rejects naming the case when it takes longer than `ms`. */
export function withinTime<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const limit = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no result within ${ms} ms (a hang)`)), ms);
  });
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}
