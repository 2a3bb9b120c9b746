/** What a worker reports as it runs (`redisWorkers` emits these; `rx-rrm serve` logs them). */

export type WorkerEvent =
  | { readonly type: 'started'; readonly workerId: string; readonly instance: string }
  /** The camera's lease was taken with this fencing token; its first frame will be a keyframe. */
  | { readonly type: 'acquired'; readonly camera: string; readonly token: number }
  /** Given up for a fair share (or at shutdown), after finishing and acknowledging what was in hand. */
  | { readonly type: 'released'; readonly camera: string; readonly token: number }
  /** Another worker holds the camera now (this one was too slow to renew, or stopped): nothing more is written. */
  | { readonly type: 'lost'; readonly camera: string; readonly token: number }
  /** A result was written (`written: false`: it had been written before, and the input is only acknowledged). */
  | { readonly type: 'result'; readonly camera: string; readonly entryId: string; readonly index: number; readonly keyframe: boolean; readonly written: boolean; readonly token: number }
  /** An entry moved to `rrm:dead:<camera>`. */
  | { readonly type: 'dead'; readonly camera: string; readonly entryId: string; readonly reason: string }
  /** Entries pending below the next batch taken over (XAUTOCLAIM) to be processed first: a previous owner's unfinished work. */
  | { readonly type: 'claimed'; readonly camera: string; readonly entryIds: readonly string[] }
  /** Entries left pending by a previous owner that had fallen off the stream before anyone processed them. */
  | { readonly type: 'trimmed'; readonly camera: string; readonly entryIds: readonly string[] }
  /** After a heartbeat, when any of the numbers changed. */
  | { readonly type: 'share'; readonly cameras: number; readonly workers: number; readonly share: number; readonly held: number }
  /** A Redis error other than a lost connection (those are retried quietly); the worker goes on. */
  | { readonly type: 'error'; readonly camera?: string; readonly message: string };
