/**
 * The Lua scripts of the workers. Each runs atomically in Redis, so a check and the write it
 * guards cannot be separated by another worker's command: that is what makes the fencing token
 * mean something. Every script is safe to run twice (ioredis resends a command whose reply was
 * lost), and times come from Redis's own clock, so workers on machines whose clocks differ agree.
 *
 * A camera's lease is the key `rrm:lease:<camera>` = `"<instance> <token>"` with an expiry; its
 * fencing token is the counter `rrm:fence:<camera>`, incremented on every acquisition. A holder may
 * write while its token is the camera's latest: nobody has acquired the camera since.
 */
import { RedisScript } from '../sources/redis-script.js';

/**
 * KEYS: lease, fence. ARGV: instance, leaseMs. Takes a free camera (`SET NX PX`) with a new token;
 * returns the token, the instance's own token when it already holds the lease (a resend), or nil.
 */
export const ACQUIRE = new RedisScript(
  'acquire',
  `
local holder = redis.call('GET', KEYS[1])
if holder then
  local instance, token = string.match(holder, '^(%S+) (%d+)$')
  if instance == ARGV[1] then return tonumber(token) end
  return nil
end
local token = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], ARGV[1] .. ' ' .. token, 'NX', 'PX', ARGV[2])
return token
`,
);

/**
 * KEYS: lease, fence. ARGV: instance, token, leaseMs. Extends the lease while the token is the
 * latest (setting it again if it expired meanwhile and nobody took the camera); 1, or 0 when lost.
 */
export const RENEW = new RedisScript(
  'renew',
  `
if redis.call('GET', KEYS[2]) ~= ARGV[2] then return 0 end
redis.call('SET', KEYS[1], ARGV[1] .. ' ' .. ARGV[2], 'PX', ARGV[3])
return 1
`,
);

/**
 * KEYS: lease, fence. ARGV: instance, token. Frees the camera if this holder still has it, and
 * retires the token (the fence moves on), so that a renewal or write of this holder still on its
 * way cannot bring the lease back.
 */
export const RELEASE = new RedisScript(
  'release',
  `
if redis.call('GET', KEYS[1]) ~= ARGV[1] .. ' ' .. ARGV[2] then return 0 end
redis.call('DEL', KEYS[1])
if redis.call('GET', KEYS[2]) == ARGV[2] then redis.call('INCR', KEYS[2]) end
return 1
`,
);

/**
 * KEYS: workers. ARGV: instance, ttlMs. Registers the instance as live for ttlMs more, forgets
 * expired ones, and returns the live instances.
 */
export const HEARTBEAT = new RedisScript(
  'heartbeat',
  `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
return redis.call('ZRANGE', KEYS[1], 0, -1)
`,
);

/**
 * KEYS: frames, fence. ARGV: group, consumer, token, before (an entry ID, or '+' for all), count.
 * Takes over (XAUTOCLAIM, no idle time: whoever had them holds no lease) every entry of the group
 * still pending below \`before\`, with its fields: a previous owner's unfinished work, a frame a
 * stuck owner's blocked read took after losing the camera, or one whose reply this consumer lost
 * to a dropped connection. The caller has nothing of its own in flight when it asks, and all of
 * them are returned at once: processed later than the batch, they could no longer get a result
 * (result IDs must increase). Returns -1 when the token is no longer the latest, else
 * { entries, trimmedIds } (trimmed: pending, but gone from the stream before anyone processed them).
 */
export const CLAIM_STRAYS = new RedisScript(
  'claimStrays',
  `
if redis.call('GET', KEYS[2]) ~= ARGV[3] then return -1 end
local function before(id, limit)
  if limit == '+' then return true end
  local ms, seq = string.match(id, '^(%d+)-(%d+)$')
  local lms, lseq = string.match(limit, '^(%d+)-(%d+)$')
  ms, seq, lms, lseq = tonumber(ms), tonumber(seq), tonumber(lms), tonumber(lseq)
  return ms < lms or (ms == lms and seq < lseq)
end
local claimed, trimmed = {}, {}
local cursor = '0-0'
repeat
  local reply = redis.call('XAUTOCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, cursor, 'COUNT', ARGV[5])
  cursor = reply[1]
  local past = false
  for _, entry in ipairs(reply[2]) do
    if before(entry[1], ARGV[4]) then claimed[#claimed + 1] = entry else past = true end
  end
  for _, id in ipairs(reply[3] or {}) do trimmed[#trimmed + 1] = id end
until cursor == '0-0' or past
return { claimed, trimmed }
`,
);

/**
 * Writes a result under its input entry's ID and acknowledges the input, in one step, while the
 * token is the camera's latest. KEYS: frames, results, fence, lease, stats. ARGV: group, id, token,
 * instance, leaseMs, keyframe (0/1), maxLen, then the result's field/value pairs. A second write
 * of the same ID is refused by Redis (IDs must increase) and only acknowledges. Redis refuses a
 * result below a later frame's the same way; that one is told apart (no result under its ID, and
 * none trimmed from below the results kept) so that it is never taken for a copy and acknowledged
 * without a result.
 * Returns 1 (written), 0 (written before), -1 (fenced) or -2 (out of order); neither of the last
 * two writes or acknowledges anything.
 */
export const WRITE_RESULT = new RedisScript(
  'writeResult',
  `
if redis.call('GET', KEYS[3]) ~= ARGV[3] then return -1 end
if not redis.call('GET', KEYS[4]) then redis.call('SET', KEYS[4], ARGV[4] .. ' ' .. ARGV[3], 'PX', ARGV[5]) end
local fields = {}
for i = 8, #ARGV do fields[#fields + 1] = ARGV[i] end
local added = redis.pcall('XADD', KEYS[2], 'MAXLEN', '~', ARGV[7], ARGV[2], unpack(fields))
local written = 1
if type(added) == 'table' and added.err then
  if not string.find(added.err, 'equal or smaller', 1, true) then return added end
  -- A copy is still there under this ID, or was trimmed: below every result kept, and some were.
  if not redis.call('XRANGE', KEYS[2], ARGV[2], ARGV[2])[1] then
    if redis.call('XREVRANGE', KEYS[2], ARGV[2], '-', 'COUNT', 1)[1] then return -2 end
    local info = redis.call('XINFO', 'STREAM', KEYS[2])
    local stream = {}
    for i = 1, #info, 2 do stream[info[i]] = info[i + 1] end
    if stream['entries-added'] <= stream['length'] then return -2 end
  end
  written = 0
end
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
if written == 1 then
  local time = redis.call('TIME')
  redis.call('HINCRBY', KEYS[5], 'frames', 1)
  if ARGV[6] == '1' then redis.call('HINCRBY', KEYS[5], 'keyframes', 1) end
  redis.call('HSET', KEYS[5], 'last', ARGV[2], 'lastAt', tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000))
end
return written
`,
);
