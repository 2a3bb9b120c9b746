/**
 * Connections to Redis (ioredis): one per source, sink or worker role, opened on subscribe and
 * closed on unsubscribe. A lost connection (Redis restarted, network cut) is retried with backoff
 * and the commands issued meanwhile wait for it instead of failing: every command rx-rrm sends is
 * safe to send twice (see docs/scale-out.md), because ioredis resends the ones whose reply was lost.
 */
import { Redis, type RedisOptions } from 'ioredis';

export interface RedisConnectionOptions {
  /** First reconnection delay (ms); doubled per attempt up to `maxReconnectDelayMs`. Default 100. */
  readonly reconnectDelayMs?: number;
  /** Default 2000. */
  readonly maxReconnectDelayMs?: number;
  /** Called on each failed connection attempt (default: silent; Redis restarts are expected). */
  readonly onConnectionError?: (error: Error) => void;
}

/** The delay before reconnection attempt `attempt` (1, 2, ...): doubling from `first`, capped. */
export function reconnectDelay(attempt: number, first = 100, max = 2000): number {
  return Math.min(max, first * 2 ** Math.min(attempt - 1, 20));
}

/** Checks a `redis://` or `rediss://` URL; throws a TypeError naming what is wrong. */
export function checkRedisUrl(url: unknown): string {
  if (typeof url !== 'string') throw new TypeError(`Redis URL ${JSON.stringify(url)}: expected a string such as redis://127.0.0.1:6379`);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TypeError(`Redis URL '${url}': not a URL; expected redis://host:port[/db]`);
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new TypeError(`Redis URL '${url}': protocol ${parsed.protocol} is not redis: or rediss:`);
  }
  return url;
}

/** A new connection to `url`; it connects at once and reconnects forever until `disconnect()`. */
export function openRedis(url: string, options: RedisConnectionOptions = {}, name?: string): Redis {
  const first = options.reconnectDelayMs ?? 100;
  const max = options.maxReconnectDelayMs ?? 2000;
  const redisOptions: RedisOptions = {
    // RESP2: stream replies as nested arrays, the shape the parsers here read.
    protocol: 2,
    // Commands wait for the connection to come back rather than failing after 20 retries.
    maxRetriesPerRequest: null,
    retryStrategy: (attempt) => reconnectDelay(attempt, first, max),
    ...(name ? { connectionName: name } : {}),
  };
  const redis = new Redis(checkRedisUrl(url), redisOptions);
  // Without a listener ioredis prints every failed attempt as an unhandled error event.
  redis.on('error', (error: Error) => options.onConnectionError?.(error));
  return redis;
}

/** Closes a connection without waiting for replies (pending commands are rejected). */
export function closeRedis(redis: Redis): void {
  redis.disconnect(false);
}

/** `value` when it is a safe integer of at least `min`, else a TypeError naming the option. */
export function integerAtLeast(value: number, min: number, name: string): number {
  if (!Number.isSafeInteger(value) || value < min) throw new TypeError(`${name} must be an integer ≥ ${min}, got ${value}`);
  return value;
}
