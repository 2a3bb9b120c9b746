/** Reading a frame stream through a consumer group: the group's creation and `XREADGROUP`'s reply. */
import type { Redis } from 'ioredis';

/** One stream entry; `fields` is null for an entry still pending but already trimmed from the stream. */
export interface StreamEntry {
  readonly id: string;
  readonly fields: Buffer[] | null;
}

/** Creates the group from the oldest entry still in the stream (and the stream, when missing); a group that exists is kept. */
export async function ensureGroup(redis: Redis, key: string, group: string): Promise<void> {
  try {
    await redis.xgroup('CREATE', key, group, '0', 'MKSTREAM');
  } catch (error) {
    if (!String((error as Error).message).startsWith('BUSYGROUP')) throw error;
  }
}

/**
 * `XREADGROUP` of one stream: `cursor` '>' for entries never delivered, or an ID for this
 * consumer's pending entries after it; waits up to `blockMs` when given (a '>' read).
 */
export async function readGroup(redis: Redis, key: string, group: string, consumer: string, cursor: string, count: number, blockMs?: number): Promise<StreamEntry[]> {
  const block = blockMs === undefined ? [] : ['BLOCK', blockMs];
  const reply = (await redis.xreadgroupBuffer('GROUP', group, consumer, 'COUNT', count, ...(block as ['BLOCK', number]), 'STREAMS', key, cursor)) as unknown;
  return parseStreamsReply(reply);
}

/** The entries of a one-stream `XREAD`/`XREADGROUP` reply (`[[key, [[id, fields], ...]]]` or null). */
export function parseStreamsReply(reply: unknown): StreamEntry[] {
  if (!Array.isArray(reply) || reply.length === 0) return [];
  const entries = (reply[0] as [Buffer, unknown[]])[1];
  return parseEntries(entries);
}

/** `[[id, fields | null], ...]` as entries (XRANGE, XCLAIM, and a stream of a read reply). */
export function parseEntries(entries: unknown): StreamEntry[] {
  if (!Array.isArray(entries)) return [];
  return entries.map((entry) => {
    const [id, fields] = entry as [Buffer | string, Buffer[] | null];
    return { id: id.toString(), fields: Array.isArray(fields) ? fields : null };
  });
}
