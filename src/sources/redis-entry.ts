/**
 * A frame as a Redis Streams entry: the frame protocol's 32-byte header and its payload as two
 * fields (so a reader checks an entry with the same rules as a socket receiver, docs/frame-protocol.md),
 * plus the frame's `index` and the publisher's own sequence number. Field values are bytes.
 *
 * | field | value |
 * | --- | --- |
 * | `header` | the 32-byte frame-protocol header (magic, version, pixel format, flags, width, height, timestamp, stream id, payload length) |
 * | `payload` | the pixels, exactly as on the socket |
 * | `index` | the frame's index in the publisher's stream, decimal |
 * | `publisher`, `seq` | the publishing subscription's random id and its 0, 1, 2, ... count: a gap within one publisher is frames that fell off the stream (`MAXLEN`) before they were read |
 */
import type { Frame } from '../types.js';
import { DEFAULT_MAX_FRAME_BYTES, decodeFrameHeader, encodeFrameHeader, FrameProtocolError, FRAME_HEADER_BYTES } from './protocol.js';

/** An entry that is not a frame: what a worker dead-letters, with this message as the reason. */
export class MalformedEntryError extends Error {
  override readonly name = 'MalformedEntryError';
}

/** The field-value list of `XADD` for `frame`. */
export function frameEntryFields(frame: Frame, publisher: string, seq: number): (string | Buffer)[] {
  const header = encodeFrameHeader(frame, 0);
  // Buffers, not Uint8Arrays: ioredis sends any other object as its string form. Views: frames are immutable.
  return ['header', asBuffer(header), 'payload', asBuffer(frame.data), 'index', String(frame.index), 'publisher', publisher, 'seq', String(seq)];
}

/** A decoded entry: the frame and where it came from. */
export interface FrameEntry {
  readonly frame: Frame;
  readonly publisher: string | undefined;
  readonly seq: number | undefined;
}

/** Field values by name from Redis's flat `[name, value, name, value, ...]` reply. */
export function fieldMap(fields: readonly (Buffer | string)[]): Map<string, Buffer> {
  const map = new Map<string, Buffer>();
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const value = fields[i + 1]!;
    map.set(String(fields[i]), Buffer.isBuffer(value) ? value : Buffer.from(value));
  }
  return map;
}

/**
 * The frame an entry holds, checked field by field (header rules as on a socket, payload length,
 * decimal numbers); `fallbackIndex` when the entry has no `index` (a publisher in another language
 * may send only `header` and `payload`). Throws `MalformedEntryError` naming what is wrong.
 */
export function decodeFrameEntry(fields: readonly (Buffer | string)[], fallbackIndex: number, maxFrameBytes = DEFAULT_MAX_FRAME_BYTES): FrameEntry {
  const values = fieldMap(fields);
  const headerBytes = values.get('header');
  const payload = values.get('payload');
  if (!headerBytes || !payload) {
    const names = [...values.keys()].join(', ') || 'none';
    throw new MalformedEntryError(`entry has no ${headerBytes ? 'payload' : 'header'} field (fields: ${names}); expected header (the 32-byte frame-protocol header) and payload`);
  }
  if (headerBytes.length !== FRAME_HEADER_BYTES) throw new MalformedEntryError(`header field holds ${headerBytes.length} bytes, expected ${FRAME_HEADER_BYTES}`);
  const header = decodeFrameHeader(headerBytes, maxFrameBytes);
  if (header instanceof FrameProtocolError) throw new MalformedEntryError(header.message);
  if (payload.length !== header.payloadBytes) {
    throw new MalformedEntryError(`payload field holds ${payload.length} bytes, the header declares ${header.width}×${header.height}×${header.channels} = ${header.payloadBytes}`);
  }
  const index = optionalDecimal(values, 'index') ?? fallbackIndex;
  const seq = optionalDecimal(values, 'seq');
  const publisher = values.get('publisher')?.toString();
  const frame: Frame = {
    // A copy: the reply buffer may be a slice of a larger one that should not stay alive.
    data: new Uint8Array(payload),
    width: header.width,
    height: header.height,
    channels: header.channels,
    index,
    timestamp: header.timestamp,
    ...(header.keyframe ? { keyframe: true } : {}),
  };
  return { frame, publisher, seq };
}

function optionalDecimal(values: Map<string, Buffer>, name: string): number | undefined {
  const value = values.get(name);
  if (value === undefined) return undefined;
  const text = value.toString();
  if (!/^\d{1,15}$/.test(text)) throw new MalformedEntryError(`${name} field '${text.slice(0, 40)}' is not a whole number ≥ 0`);
  return Number(text);
}

/** The same bytes as a Buffer (a view, no copy). */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
