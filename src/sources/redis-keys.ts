/**
 * Where rx-rrm keeps things in Redis. One prefix (`rrm:`) so that a deployment's keys are easy to
 * find, and one function per kind of key so that no module spells a key by hand.
 */

/** Camera names become parts of Redis keys and glob patterns: letters, digits, `.`, `_`, `-`. */
const CAMERA_NAME = /^[A-Za-z0-9._-]{1,200}$/;

/** The camera name, or an error saying what a name may hold. */
export function checkCameraName(camera: unknown, what = 'camera'): string {
  if (typeof camera !== 'string' || !CAMERA_NAME.test(camera)) {
    throw new TypeError(`${what} ${JSON.stringify(camera)}: expected 1-200 letters, digits, '.', '_' or '-'`);
  }
  return camera;
}

/** A camera pattern for `redisWorkers`: a camera name with `*` and `?` wildcards (Redis glob). */
export function checkCameraPattern(pattern: unknown): string {
  if (typeof pattern !== 'string' || !/^[A-Za-z0-9._*?-]{1,200}$/.test(pattern)) {
    throw new TypeError(`cameras ${JSON.stringify(pattern)}: expected a camera name with * and ? wildcards, e.g. 'lobby-*' or '*'`);
  }
  return pattern;
}

export const redisKeys = {
  /** The frames a publisher appends (`toRedisStream`). */
  frames: (camera: string) => `rrm:frames:${camera}`,
  /** The results of a camera's frames, each under its input entry's ID. */
  results: (camera: string) => `rrm:out:${camera}`,
  /** Entries that could not be processed, with the reason. */
  dead: (camera: string) => `rrm:dead:${camera}`,
  /** Who holds the camera: `"<workerId> <token>"`, with an expiry (the lease time). */
  lease: (camera: string) => `rrm:lease:${camera}`,
  /** The last fencing token handed out for the camera (INCR on every acquisition). */
  fence: (camera: string) => `rrm:fence:${camera}`,
  /** What the camera's owners count: `frames` (results written), `keyframes`, `dead`, and the `last` result's ID and time (`lastAt`, ms). */
  stats: (camera: string) => `rrm:stats:${camera}`,
  /**
   * Live workers of the pool serving a camera pattern: a sorted set of worker instances scored by
   * the time (ms, Redis clock) their heartbeat expires. Pools of different patterns share nothing.
   */
  workers: (pattern: string) => `rrm:workers:${pattern}`,
  /** The consumer group workers read the frame streams with. */
  workerGroup: 'rrm-workers',
} as const;

/** The camera of a `rrm:frames:<camera>` key. */
export function cameraOfFramesKey(key: string): string {
  return key.slice('rrm:frames:'.length);
}
