/**
 * Many cameras on many machines: a pool of workers sharing the camera streams in Redis, each camera
 * on one worker at a time under a lease (docs/scale-out.md). Node only: ioredis speaks over TCP, so
 * none of this is in the browser bundle.
 */
export { redisWorkers, type RedisWorkersOptions } from './workers.js';
export type { WorkerEvent } from './worker-events.js';
export { decodeResultEntry, type ResultEntry, type ResultOptions, type WorkerOutput } from './result-fields.js';
export { poolStatus, type CameraStatus, type PoolStatus } from './status.js';
