/** Options of the commands that talk to Redis (`serve`, `publish`, `status`). */
import { hostname } from 'node:os';
import { checkRedisUrl } from '../sources/redis-client.js';
import { checkCameraName, checkCameraPattern } from '../sources/redis-keys.js';
import type { ParsedValues } from './args.js';
import { UsageError } from './errors.js';

/** `--redis redis://host:port[/db]`, required. */
export function redisUrlOption(values: ParsedValues): string {
  const url = values.redis;
  if (typeof url !== 'string' || url === '') throw new UsageError('--redis is required: the Redis server, e.g. redis://127.0.0.1:6379');
  try {
    return checkRedisUrl(url);
  } catch (error) {
    throw new UsageError(`--redis ${(error as Error).message}`);
  }
}

/** `--camera NAME`, required. */
export function cameraOption(values: ParsedValues): string {
  try {
    return checkCameraName(values.camera, '--camera');
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** `--cameras PATTERN`, default `*` (every camera). */
export function cameraPatternOption(values: ParsedValues): string {
  try {
    return checkCameraPattern(values.cameras ?? '*');
  } catch (error) {
    throw new UsageError(`--${(error as Error).message}`);
  }
}

/** `--worker-id`, default `<host>-<pid>` with anything a camera name may not hold replaced. */
export function workerIdOption(values: ParsedValues): string {
  const id = values['worker-id'] ?? `${hostname()}-${process.pid}`.replace(/[^A-Za-z0-9._-]/g, '-');
  try {
    return checkCameraName(id, '--worker-id');
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}
