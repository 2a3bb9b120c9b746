/** `rx-rrm status`: the cameras in Redis, who holds each, how far behind they are, and the live workers. */
import { poolStatus, type PoolStatus } from '../../scale/status.js';
import { closeRedis, openRedis } from '../../sources/redis-client.js';
import { parseCommandArgs } from '../args.js';
import { optionalNumber } from '../model-options.js';
import { cameraPatternOption, redisUrlOption } from '../redis-options.js';

export const STATUS_USAGE = `rx-rrm status --redis URL [--cameras PATTERN] [--interval S] [--json]
  per camera: its owner (worker and fencing token), frames waiting for a worker (lag) and delivered
  but not yet acknowledged (pending), results per second over --interval (default 1 s), results,
  keyframes (one per start or hand-over), entries dead-lettered; then the live workers`;

const STATUS_OPTIONS = {
  redis: { type: 'string' },
  cameras: { type: 'string' },
  interval: { type: 'string' },
  json: { type: 'boolean' },
  verbose: { type: 'boolean' },
} as const;

export async function statusCommand(args: string[]): Promise<void> {
  const values = parseCommandArgs('status', args, STATUS_OPTIONS, STATUS_USAGE);
  if (!values) return;
  const url = redisUrlOption(values);
  const pattern = cameraPatternOption(values);
  const interval = optionalNumber(values, 'interval', (n) => n >= 0 && n <= 600, 'seconds between 0 and 600') ?? 1;
  // A status query should fail fast rather than wait for a server that is not there.
  const redis = openRedis(url, { maxReconnectDelayMs: 200 });
  try {
    const status = await Promise.race([poolStatus(redis, pattern, interval * 1000), unreachable(redis, url)]);
    console.log(values.json ? JSON.stringify(status, null, 2) : formatStatus(status, pattern));
  } finally {
    closeRedis(redis);
  }
}

/** Rejects when the first connection attempts all fail. */
function unreachable(redis: ReturnType<typeof openRedis>, url: string): Promise<never> {
  return new Promise((_, reject) => {
    let failures = 0;
    redis.on('error', (error: Error) => {
      if (++failures >= 3 && redis.status !== 'ready') reject(new Error(`cannot reach Redis at ${url}: ${error.message}`));
    });
  });
}

function formatStatus(status: PoolStatus, pattern: string): string {
  if (status.cameras.length === 0) return `no camera streams matching rrm:frames:${pattern} (rx-rrm publish creates them)`;
  const rows = status.cameras.map((c) => [
    c.camera, c.owner ? `${c.owner} #${c.token}` : '(free)', String(c.lag ?? '?'), String(c.pending), c.fps.toFixed(1),
    String(c.results), String(c.keyframes), String(c.dead), c.lastResultAgoMs === undefined ? '-' : `${(c.lastResultAgoMs / 1000).toFixed(1)} s`,
  ]);
  const table = formatTable(['camera', 'owner', 'lag', 'pending', 'fps', 'results', 'keyframes', 'dead', 'last result'], rows);
  const workers = status.workers.length === 0 ? 'no live workers' : `${status.workers.length} live worker${status.workers.length > 1 ? 's' : ''}: ${status.workers.map((w) => w.instance).join(', ')}`;
  return `${table}\n${workers}`;
}

function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, c) => Math.max(h.length, ...rows.map((row) => row[c]!.length)));
  const line = (cells: readonly string[]) => cells.map((cell, c) => cell.padEnd(widths[c]!)).join('  ').trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}
