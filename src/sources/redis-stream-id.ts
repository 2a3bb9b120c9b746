/**
 * Entry IDs a publisher chooses itself (`<ms>-<seq>`, increasing), instead of letting Redis pick
 * one with `*`: an `XADD` resent after a lost connection then carries the same ID and Redis refuses
 * the copy, so a frame is stored once however often it is sent.
 */

export interface StreamId {
  readonly ms: number;
  readonly seq: number;
}

export function parseStreamId(id: string): StreamId {
  const match = /^(\d+)-(\d+)$/.exec(id);
  if (!match) throw new TypeError(`'${id}' is not a Redis stream ID (expected <ms>-<seq>)`);
  return { ms: Number(match[1]), seq: Number(match[2]) };
}

export function formatStreamId(id: StreamId): string {
  return `${id.ms}-${id.seq}`;
}

/** The next ID after `last`: the current time when the clock has moved on, else `last`'s time with the next sequence number. */
export function nextStreamId(last: StreamId | undefined, now: number): StreamId {
  if (!last || now > last.ms) return { ms: now, seq: 0 };
  return { ms: last.ms, seq: last.seq + 1 };
}
