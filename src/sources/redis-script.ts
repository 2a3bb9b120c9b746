/**
 * A Lua script run atomically in Redis: by hash (EVALSHA), falling back to the source (EVAL) when
 * the server does not know it yet, as after a restart, when its script cache is empty.
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

export type RedisArgument = string | Buffer | number;

export class RedisScript {
  private readonly sha: string;

  constructor(
    readonly name: string,
    private readonly lua: string,
  ) {
    this.sha = createHash('sha1').update(lua).digest('hex');
  }

  /** Runs the script; bulk replies as Buffers when `buffers`, else as strings. */
  async run(redis: Redis, keys: readonly string[], args: readonly RedisArgument[], buffers = false): Promise<unknown> {
    const argv: RedisArgument[] = [keys.length, ...keys, ...args];
    try {
      return await (buffers ? redis.callBuffer('EVALSHA', [this.sha, ...argv]) : redis.call('EVALSHA', [this.sha, ...argv]));
    } catch (error) {
      if (!String((error as Error).message).startsWith('NOSCRIPT')) throw error;
      return buffers ? redis.callBuffer('EVAL', [this.lua, ...argv]) : redis.call('EVAL', [this.lua, ...argv]);
    }
  }
}
