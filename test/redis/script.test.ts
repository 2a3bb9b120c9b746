// RedisScript keeps the order of the calls sent on one connection, even when Redis does not know
// the script yet: the workers pipeline their result writes, and Redis refuses a result ID below the
// last one written (a write that overtook an earlier one makes the earlier one look like a copy).
import { Redis } from 'ioredis';
import t from 'tap';
import { RedisScript } from '../../src/sources/redis-script.js';
import { REDIS_MISSING, startRedisServer } from '../helpers/redis-server.js';

const APPEND = new RedisScript('append', `return redis.call('XADD', KEYS[1], ARGV[1], 'n', ARGV[1])`);

t.test('calls run in the order sent, while the script gets loaded between them', { skip: REDIS_MISSING }, async (t) => {
  const server = await startRedisServer(t);
  const redis = new Redis(server.url);
  t.teardown(() => redis.disconnect());
  // Nothing awaited in between: one connection, in this order. The SCRIPT LOAD stands for another
  // worker's first call loading the script while this connection's first call is under way.
  const calls = [APPEND.run(redis, ['s'], ['1-1']), redis.script('LOAD', `return redis.call('XADD', KEYS[1], ARGV[1], 'n', ARGV[1])`), APPEND.run(redis, ['s'], ['2-1'])];
  const settled = await Promise.allSettled(calls);
  t.same(settled.map((s) => s.status), ['fulfilled', 'fulfilled', 'fulfilled'], 'every call succeeds');
  t.same((await redis.xrange('s', '-', '+')).map(([id]) => id), ['1-1', '2-1'], 'both appended, in order');
});

t.test('after a restart (an empty script cache) the script runs again', { skip: REDIS_MISSING }, async (t) => {
  const server = await startRedisServer(t);
  const redis = new Redis(server.url, { maxRetriesPerRequest: null });
  redis.on('error', () => undefined);
  t.teardown(() => redis.disconnect());
  await APPEND.run(redis, ['s'], ['1-1']);
  await server.stop();
  await server.start();
  t.equal(await APPEND.run(redis, ['s'], ['2-1']), '2-1');
});
