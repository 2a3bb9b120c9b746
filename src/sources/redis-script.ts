/**
 * A Lua script run atomically in Redis. Always sent whole (EVAL), never by hash: the usual EVALSHA
 * with an EVAL fallback on NOSCRIPT (a new server, or one restarted with an empty script cache)
 * would reorder the calls pipelined on a connection. The failed call's EVAL goes out after the
 * calls sent behind it, and those succeed once anyone has loaded the script: a result written
 * after a later one is refused by Redis (IDs must increase), and its frame would look processed.
 * The scripts are under 1.5 KB, small beside a frame; Redis keeps them compiled, keyed by hash.
 */
import type { Redis } from 'ioredis';

export type RedisArgument = string | Buffer | number;

export class RedisScript {
  constructor(
    readonly name: string,
    private readonly lua: string,
  ) {}

  /** Runs the script; bulk replies as Buffers when `buffers`, else as strings. */
  run(redis: Redis, keys: readonly string[], args: readonly RedisArgument[], buffers = false): Promise<unknown> {
    const argv: RedisArgument[] = [this.lua, keys.length, ...keys, ...args];
    return buffers ? redis.callBuffer('EVAL', argv) : redis.call('EVAL', argv);
  }
}
