/** The Lua scripts of `fromRedisStream`: steps that must not interleave with other clients' commands. */
import { RedisScript } from './redis-script.js';

/**
 * `latest`: when more than one entry waits for the group, move the group past all but the newest
 * (they count as skipped) and hand that one over, in one step, so the skipped frames never cross
 * the network. KEYS: frames. ARGV: group. Returns nil (nothing skipped: read normally) or
 * `{ skipped, id, fields }`.
 */
export const SKIP_TO_NEWEST = new RedisScript(
  'skipToNewest',
  `
local groups = redis.call('XINFO', 'GROUPS', KEYS[1])
local lag, read, last
for _, g in ipairs(groups) do
  local info = {}
  for i = 1, #g, 2 do info[g[i]] = g[i + 1] end
  if info['name'] == ARGV[1] then lag = info['lag']; read = info['entries-read']; last = info['last-delivered-id'] end
end
if type(lag) ~= 'number' or lag <= 1 then return nil end
local newest = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)[1]
if not newest then return nil end
local entriesRead = (type(read) == 'number' and read or 0) + lag
redis.call('XGROUP', 'SETID', KEYS[1], ARGV[1], newest[1], 'ENTRIESREAD', entriesRead)
return { lag - 1, newest[1], newest[2] }
`,
);

/**
 * Moves an entry to the dead-letter stream with the reason, then acknowledges it. With a token
 * (a worker), only while that token is the camera's latest (fencing); without one (a plain
 * `fromRedisStream`), always. The dead entry keeps the input's ID, so a resend is refused as a copy.
 * KEYS: frames, dead, fence, stats. ARGV: group, id, reason, by, token ('' for none), maxLen.
 * Returns 1 (moved, or moved before), or -1 (fenced: another owner holds the camera).
 */
export const DEAD_LETTER = new RedisScript(
  'deadLetter',
  `
if ARGV[5] ~= '' and redis.call('GET', KEYS[3]) ~= ARGV[5] then return -1 end
local entry = redis.call('XRANGE', KEYS[1], ARGV[2], ARGV[2])[1]
local fields = { 'reason', ARGV[3], 'by', ARGV[4] }
if entry then for _, v in ipairs(entry[2]) do fields[#fields + 1] = v end end
local added = redis.pcall('XADD', KEYS[2], 'MAXLEN', '~', ARGV[6], ARGV[2], unpack(fields))
if type(added) == 'table' and added.err then
  if not string.find(added.err, 'equal or smaller', 1, true) then return added end
else
  redis.call('HINCRBY', KEYS[4], 'dead', 1)
end
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
return 1
`,
);
