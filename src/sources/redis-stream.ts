/**
 * Frames through Redis Streams: `toRedisStream` appends a camera's frames to `rrm:frames:<camera>`
 * (bounded by `MAXLEN ~`), `fromRedisStream` reads them through a consumer group as a live source.
 * The entry format is in redis-entry.ts and docs/scale-out.md.
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { Observable, type OperatorFunction } from 'rxjs';
import type { Frame } from '../types.js';
import { LiveFrameBuffer, liveBufferCapacity, type LiveFrame, type LivePolicyOptions } from './live-policy.js';
import { DEFAULT_MAX_QUEUE_BYTES } from './socket.js';
import { checkRedisUrl, closeRedis, integerAtLeast, openRedis, type RedisConnectionOptions } from './redis-client.js';
import { decodeFrameEntry, frameEntryFields, MalformedEntryError } from './redis-entry.js';
import { checkCameraName, redisKeys } from './redis-keys.js';
import { ensureGroup, readGroup, type StreamEntry } from './redis-read.js';
import { DEAD_LETTER, SKIP_TO_NEWEST } from './redis-source-scripts.js';
import { formatStreamId, nextStreamId, parseStreamId, type StreamId } from './redis-stream-id.js';
import { pulledObservable } from './pulled-observable.js';

export const DEFAULT_REDIS_MAX_LEN = 100;
export const DEFAULT_DEAD_MAX_LEN = 1000;

export interface ToRedisStreamOptions extends RedisConnectionOptions {
  readonly camera: string;
  /**
   * Frames kept in the stream (`XADD ... MAXLEN ~ maxLen`); older ones fall off and are counted in
   * `trimmed`. Frames larger than Redis's `stream-node-max-bytes` (4 KB) are trimmed exactly.
   * Memory is about `maxLen` × the frame's bytes. Default 100.
   */
  readonly maxLen?: number;
  /** `XADD`s sent before their replies arrive; default 4. */
  readonly maxInFlight?: number;
  /**
   * Payload bytes waiting for Redis (it is slow, or reconnecting) before the oldest waiting frame
   * is dropped, counted in `dropped`; default 64 MiB.
   */
  readonly maxQueueBytes?: number;
}

/** A frame once Redis has stored it. */
export interface PublishedFrame extends Frame {
  /** Its entry ID in `rrm:frames:<camera>`. */
  readonly entryId: string;
  /** Frames of this stream that fell off it (`MAXLEN`) since this subscription began. */
  readonly trimmed: number;
  /** Frames this subscription dropped before sending because Redis could not keep up, so far. */
  readonly dropped: number;
}

/**
 * Appends every frame to `rrm:frames:<camera>` and emits it, with its entry ID, once Redis stored
 * it (in order). The publisher picks the entry IDs (increasing `<ms>-<seq>`), so a frame resent
 * after a lost connection is stored once. One publisher per camera (another client's entries in
 * between are tolerated, but the trimmed count assumes none). Completes when the source has
 * completed and every frame is stored; the connection is opened on subscribe and closed after.
 */
export function toRedisStream(url: string, options: ToRedisStreamOptions): OperatorFunction<Frame, PublishedFrame> {
  checkRedisUrl(url);
  const camera = checkCameraName(options.camera);
  const maxLen = integerAtLeast(options.maxLen ?? DEFAULT_REDIS_MAX_LEN, 1, 'maxLen');
  const maxInFlight = integerAtLeast(options.maxInFlight ?? 4, 1, 'maxInFlight');
  const maxQueueBytes = integerAtLeast(options.maxQueueBytes ?? DEFAULT_MAX_QUEUE_BYTES, 1, 'maxQueueBytes');
  const key = redisKeys.frames(camera);
  return (frames) =>
    new Observable<PublishedFrame>((subscriber) => {
      const redis = openRedis(url, options, `rrm-publish:${camera}`);
      const publisher = randomBytes(6).toString('hex');
      let dropped = 0;
      const waiting = new LiveFrameBuffer(Infinity, { maxBytes: maxQueueBytes, onDiscard: () => dropped++ });
      const sent: Promise<PublishedFrame>[] = [];
      let seq = 0;
      let lastId: StreamId | undefined;
      let lengthAfterLast: number | undefined;
      let trimmed = 0;
      let sourceDone = false;
      let failed = false;
      // The top of the stream, so that this publisher's IDs start after it.
      const ready = redis.xrevrange(key, '+', '-', 'COUNT', 1).then(async (top) => {
        if (top[0]) lastId = parseStreamId(top[0][0]);
        lengthAfterLast = await redis.xlen(key);
      });

      const fail = (error: unknown) => {
        if (failed) return;
        failed = true;
        subscriber.error(error);
      };
      const append = async (frame: Frame): Promise<PublishedFrame> => {
        await ready;
        lastId = nextStreamId(lastId, Date.now());
        const id = formatStreamId(lastId);
        const fields = frameEntryFields(frame, publisher, seq++);
        const [added, length] = await Promise.all([xaddOnce(redis, key, maxLen, id, fields, publisher), redis.xlen(key)]);
        if (added !== id) lastId = parseStreamId(added);
        // One publisher per camera: whatever the stream lost beyond our own append was trimmed.
        if (lengthAfterLast !== undefined) trimmed += Math.max(0, lengthAfterLast + 1 - length);
        lengthAfterLast = length;
        return { ...frame, entryId: added, trimmed, dropped };
      };
      const pump = () => {
        while (!failed && sent.length < maxInFlight) {
          const frame = waiting.take();
          if (!frame) break;
          const { dropped: _, ...plain } = frame;
          const promise = append(plain);
          sent.push(promise);
          promise.then(
            (published) => {
              if (sent[0] !== promise) return; // replies arrive in order; an earlier one failed
              sent.shift();
              subscriber.next(published);
              pump();
            },
            fail,
          );
        }
        if (sourceDone && sent.length === 0 && waiting.size === 0 && !failed) {
          subscriber.complete();
        }
      };
      const upstream = frames.subscribe({
        next: (frame) => {
          waiting.offer(frame);
          pump();
        },
        error: fail,
        complete: () => {
          sourceDone = true;
          pump();
        },
      });
      return () => {
        upstream.unsubscribe();
        waiting.clear();
        closeRedis(redis);
      };
    });
}

/**
 * `XADD` with the publisher's own ID. Redis refuses an ID at or below the stream's top: either this
 * very frame, stored before the connection dropped (ioredis resent it), or something else appended
 * in between (another client); then the frame is appended under an ID Redis picks. Returns the ID.
 */
async function xaddOnce(redis: Redis, key: string, maxLen: number, id: string, fields: (string | Buffer)[], publisher: string): Promise<string> {
  try {
    return (await redis.xadd(key, 'MAXLEN', '~', maxLen, id, ...fields)) ?? id;
  } catch (error) {
    if (!/equal or smaller/.test((error as Error).message)) throw error;
    const stored = await redis.xrange(key, id, id);
    const ours = stored[0]?.[1].some((value, i, all) => value === 'publisher' && all[i + 1] === publisher);
    if (ours) return id;
    return (await redis.xadd(key, 'MAXLEN', '~', maxLen, '*', ...fields))!;
  }
}

export interface FromRedisStreamOptions extends LivePolicyOptions, RedisConnectionOptions {
  readonly camera: string;
  /** The consumer group; created (from the oldest entry still in the stream) when missing. */
  readonly group: string;
  /** This reader's name within the group. */
  readonly consumer: string;
  /** Longest wait per read before reading again (ms); default 1000. */
  readonly blockMs?: number;
  /** Largest frame accepted; bigger entries are dead-lettered. Default 64 MiB. */
  readonly maxFrameBytes?: number;
  /** Called for each entry that is not a frame (it goes to `rrm:dead:<camera>` and is acknowledged). Default: console.warn. */
  readonly onMalformed?: (error: MalformedEntryError, entryId: string) => void;
}

/** A frame read from Redis. */
export interface RedisFrame extends LiveFrame {
  readonly entryId: string;
  readonly camera: string;
}

/**
 * One camera's frames through a consumer group, as a live source. Entries left pending for this
 * consumer (read before a restart, never acknowledged) come first, then new ones. Each is
 * acknowledged as it is handed to the subscriber (at-most-once past that point; for
 * at-least-once processing with results, see `redisWorkers`). Policies: `'queue'` delivers every
 * entry in order, reading `queueSize` at a time (the stream itself is the queue, bounded by its
 * publisher's `maxLen`); `'latest'` (default) moves the group past all but the newest waiting entry.
 * `dropped` counts the frames skipped before this one: by `'latest'`, or trimmed from the stream
 * before they were read (a gap in the publisher's sequence numbers).
 */
export function fromRedisStream(url: string, options: FromRedisStreamOptions): Observable<RedisFrame> {
  checkRedisUrl(url);
  const camera = checkCameraName(options.camera);
  const capacity = liveBufferCapacity(options);
  if (typeof capacity === 'string') throw new TypeError(`fromRedisStream: ${capacity}`);
  if (typeof options.group !== 'string' || options.group === '') throw new TypeError(`fromRedisStream: group ${JSON.stringify(options.group)}: expected a consumer group name`);
  if (typeof options.consumer !== 'string' || options.consumer === '') throw new TypeError(`fromRedisStream: consumer ${JSON.stringify(options.consumer)}: expected a consumer name`);
  const latest = (options.policy ?? 'latest') === 'latest';
  const blockMs = integerAtLeast(options.blockMs ?? 1000, 1, 'blockMs');
  const key = redisKeys.frames(camera);
  const onMalformed = options.onMalformed ?? ((error, id) => console.warn(`fromRedisStream: ${key} entry ${id} moved to ${redisKeys.dead(camera)}: ${error.message}`));
  return pulledObservable<RedisFrame>((signal) => {
    const redis = openRedis(url, options, `rrm-read:${camera}:${options.consumer}`);
    signal.addEventListener('abort', () => closeRedis(redis), { once: true });
    return readFrames(redis, signal);
  });

  async function* readFrames(redis: Redis, signal: AbortSignal): AsyncGenerator<RedisFrame> {
    await ensureGroup(redis, key, options.group);
    let index = 0;
    const sequence = new Map<string, number>();
    let skipped = 0;
    // Entries this consumer was handed before and never acknowledged come first.
    let cursor: '0' | '>' = '0';
    while (!signal.aborted) {
      let entries: StreamEntry[];
      if (cursor === '>' && latest) {
        const newest = (await SKIP_TO_NEWEST.run(redis, [key], [options.group], true)) as [number, Buffer, Buffer[]] | null;
        if (newest) {
          skipped += newest[0];
          entries = [{ id: newest[1].toString(), fields: newest[2] }];
        } else {
          entries = await readGroup(redis, key, options.group, options.consumer, cursor, 1, blockMs);
        }
      } else {
        entries = await readGroup(redis, key, options.group, options.consumer, cursor, latest ? 1 : capacity as number, cursor === '0' ? undefined : blockMs);
        if (cursor === '0' && entries.length === 0) cursor = '>';
      }
      for (const entry of entries) {
        if (signal.aborted) return;
        if (entry.fields === null) {
          // Pending, but trimmed from the stream before it was processed.
          skipped++;
          await redis.xack(key, options.group, entry.id);
          continue;
        }
        let frame: RedisFrame | undefined;
        try {
          const decoded = decodeFrameEntry(entry.fields, index, options.maxFrameBytes);
          const gap = decoded.publisher !== undefined && decoded.seq !== undefined ? decoded.seq - (sequence.get(decoded.publisher) ?? decoded.seq) : 0;
          if (decoded.publisher !== undefined && decoded.seq !== undefined) sequence.set(decoded.publisher, decoded.seq + 1);
          frame = { ...decoded.frame, entryId: entry.id, camera, dropped: skipped + Math.max(0, gap) };
          skipped = 0;
          index = decoded.frame.index + 1;
        } catch (error) {
          if (!(error instanceof MalformedEntryError)) throw error;
          await DEAD_LETTER.run(redis, [key, redisKeys.dead(camera), redisKeys.fence(camera), redisKeys.stats(camera)], [options.group, entry.id, error.message, options.consumer, '', DEFAULT_DEAD_MAX_LEN]);
          onMalformed(error, entry.id);
          continue;
        }
        // Acknowledged as it is handed over: a subscriber that stops after this frame (take(n)) has had it.
        redis.xack(key, options.group, entry.id).catch(() => undefined);
        yield frame;
      }
    }
  }
}
