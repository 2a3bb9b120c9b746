/**
 * The rx-rrm frame protocol (docs/frame-protocol.md): a 32-byte little-endian header followed
 * by the raw pixels. Every header field is validated before the payload is allocated, so a
 * hostile or broken peer can make the receiver allocate at most `maxFrameBytes`.
 *
 * offset size field
 *      0    4 magic "RRMF" (0x52 0x52 0x4D 0x46)
 *      4    1 version (1)
 *      5    1 pixel format: 1 gray, 3 rgb24, 4 rgba (the bytes per pixel)
 *      6    1 flags: bit 0 keyframe; other bits 0
 *      7    1 reserved, 0
 *      8    4 width, u32, ≥ 1
 *     12    4 height, u32, ≥ 1
 *     16    8 timestamp in ms, float64, finite
 *     24    4 stream id, u32 (the sender's numbering of its streams)
 *     28    4 payload length, u32 = width × height × bytes per pixel ≤ maxFrameBytes
 *     32    … payload: rows top to bottom, pixels left to right, channels interleaved
 */
import type { Frame, FrameChannels } from '../types.js';

export const FRAME_MAGIC = Uint8Array.of(0x52, 0x52, 0x4d, 0x46);
export const FRAME_PROTOCOL_VERSION = 1;
export const FRAME_HEADER_BYTES = 32;
export const DEFAULT_MAX_FRAME_BYTES = 64 * 1024 * 1024;
const KEYFRAME_FLAG = 1;

/** A header as it travels on the wire. */
export interface FrameHeader {
  readonly width: number;
  readonly height: number;
  readonly channels: FrameChannels;
  readonly timestamp: number;
  /** u32: the sender's id for the stream this frame belongs to. */
  readonly streamId: number;
  readonly keyframe: boolean;
  readonly payloadBytes: number;
}

export interface WireFrame {
  readonly header: FrameHeader;
  readonly payload: Uint8Array;
}

/** A byte stream or message that violates the frame protocol. */
export class FrameProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FrameProtocolError';
  }
}

export interface FrameLimits {
  /** Largest payload accepted, in bytes; default 64 MiB. */
  readonly maxFrameBytes?: number;
}

export function isFrameChannels(value: number): value is FrameChannels {
  return value === 1 || value === 3 || value === 4;
}

/** Stream ids that fit the header's u32 field. */
export function isWireStreamId(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 0xffffffff;
}

/** Encodes the header for `frame`; `streamId` defaults to the frame's own when it is a u32. */
export function encodeFrameHeader(frame: Frame, streamId?: number): Uint8Array {
  const { width, height, channels, data } = frame;
  if (!isFrameChannels(channels)) throw new FrameProtocolError(`cannot send ${channels} channels: expected 1, 3 or 4`);
  if (data.length !== width * height * channels) {
    throw new FrameProtocolError(
      `cannot send frame ${frame.index}: data holds ${data.length} bytes, expected ${width}×${height}×${channels} = ${width * height * channels}`,
    );
  }
  const wireStreamId = streamId ?? (isWireStreamId(frame.streamId) ? frame.streamId : 0);
  const header = new Uint8Array(FRAME_HEADER_BYTES);
  const view = new DataView(header.buffer);
  header.set(FRAME_MAGIC, 0);
  view.setUint8(4, FRAME_PROTOCOL_VERSION);
  view.setUint8(5, channels);
  view.setUint8(6, frame.keyframe ? KEYFRAME_FLAG : 0);
  view.setUint32(8, width, true);
  view.setUint32(12, height, true);
  view.setFloat64(16, frame.timestamp, true);
  view.setUint32(24, wireStreamId, true);
  view.setUint32(28, data.length, true);
  return header;
}

/** Header and payload in one buffer: one WebSocket message. */
export function encodeFrameMessage(frame: Frame, streamId?: number): Uint8Array {
  const header = encodeFrameHeader(frame, streamId);
  const message = new Uint8Array(FRAME_HEADER_BYTES + frame.data.length);
  message.set(header, 0);
  message.set(frame.data, FRAME_HEADER_BYTES);
  return message;
}

/**
 * Validates the first `FRAME_HEADER_BYTES` of `bytes`. Returns an error instead of throwing:
 * a receiver handles it as data about one connection, not as a bug.
 */
export function decodeFrameHeader(bytes: Uint8Array, maxFrameBytes = DEFAULT_MAX_FRAME_BYTES): FrameHeader | FrameProtocolError {
  if (bytes.length < FRAME_HEADER_BYTES) {
    return new FrameProtocolError(`frame header needs ${FRAME_HEADER_BYTES} bytes, got ${bytes.length}`);
  }
  for (let i = 0; i < FRAME_MAGIC.length; i++) {
    if (bytes[i] !== FRAME_MAGIC[i]) {
      return new FrameProtocolError(`bad magic ${hex(bytes.subarray(0, 4))}: expected 52524d46 ("RRMF"); is the peer speaking the rx-rrm frame protocol?`);
    }
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, FRAME_HEADER_BYTES);
  const version = view.getUint8(4);
  if (version !== FRAME_PROTOCOL_VERSION) {
    return new FrameProtocolError(`unsupported protocol version ${version}: expected ${FRAME_PROTOCOL_VERSION}`);
  }
  const channels = view.getUint8(5);
  if (!isFrameChannels(channels)) {
    return new FrameProtocolError(`unsupported pixel format ${channels}: expected 1 (gray), 3 (rgb24) or 4 (rgba)`);
  }
  const flags = view.getUint8(6);
  if ((flags & ~KEYFRAME_FLAG) !== 0 || view.getUint8(7) !== 0) {
    return new FrameProtocolError(`unknown flags 0x${flags.toString(16)} or non-zero reserved byte: expected flags 0 or 1 and reserved 0`);
  }
  const width = view.getUint32(8, true);
  const height = view.getUint32(12, true);
  if (width === 0 || height === 0) return new FrameProtocolError(`empty frame ${width}×${height}: expected width and height ≥ 1`);
  const timestamp = view.getFloat64(16, true);
  if (!Number.isFinite(timestamp)) return new FrameProtocolError(`timestamp ${timestamp} is not a finite number of milliseconds`);
  const payloadBytes = view.getUint32(28, true);
  // Doubles hold width × height × 4 < 2^66 inexactly but far above any limit, so this cannot wrap.
  const expectedBytes = width * height * channels;
  if (expectedBytes > maxFrameBytes) {
    return new FrameProtocolError(
      `frame ${width}×${height}×${channels} needs ${expectedBytes} bytes, more than maxFrameBytes = ${maxFrameBytes}`,
    );
  }
  if (payloadBytes !== expectedBytes) {
    return new FrameProtocolError(
      `payload length ${payloadBytes} does not match ${width}×${height}×${channels} = ${expectedBytes} bytes`,
    );
  }
  return { width, height, channels, timestamp, streamId: view.getUint32(24, true), keyframe: flags === KEYFRAME_FLAG, payloadBytes };
}

/** Decodes one complete message (WebSocket): a header and exactly its payload. */
export function decodeFrameMessage(message: Uint8Array, maxFrameBytes = DEFAULT_MAX_FRAME_BYTES): WireFrame | FrameProtocolError {
  const header = decodeFrameHeader(message, maxFrameBytes);
  if (header instanceof FrameProtocolError) return header;
  const actual = message.length - FRAME_HEADER_BYTES;
  if (actual !== header.payloadBytes) {
    return new FrameProtocolError(`message carries ${actual} payload bytes, header declares ${header.payloadBytes}`);
  }
  // A plain Uint8Array. When the message has a buffer of its own (a large message that the
  // WebSocket layer assembled), a view of it: copying 64 MiB would hold the frame twice. Otherwise
  // a copy: a view would keep a whole shared receive buffer alive for a small frame.
  const ownBuffer = message.byteOffset === 0 && message.buffer.byteLength === message.length;
  const payload = ownBuffer ? new Uint8Array(message.buffer, FRAME_HEADER_BYTES, header.payloadBytes) : new Uint8Array(message.subarray(FRAME_HEADER_BYTES));
  return { header, payload };
}

export interface FrameStreamParserOptions extends FrameLimits {
  /** Allocates each payload buffer; tests pass one that records sizes. */
  readonly allocate?: (bytes: number) => Uint8Array;
  /**
   * Called with each valid header before its payload is allocated: a receiver's own limits
   * (streams, buffered bytes). An error returned stops the parser like a protocol violation.
   */
  readonly admit?: (header: FrameHeader) => Error | undefined;
}

export interface ParseResult {
  readonly frames: WireFrame[];
  /** Set once the stream violated the protocol (or a limit); the parser then accepts nothing more. */
  readonly error?: Error;
}

/**
 * Incremental parser for a byte stream of frames (TCP): accepts chunks split anywhere, including
 * inside the header. It never throws; the first violation is returned and sticks.
 */
export class FrameStreamParser {
  private readonly maxFrameBytes: number;
  private readonly allocate: (bytes: number) => Uint8Array;
  private readonly admit: ((header: FrameHeader) => Error | undefined) | undefined;
  private readonly headerBytes = new Uint8Array(FRAME_HEADER_BYTES);
  private headerFilled = 0;
  private header: FrameHeader | undefined;
  private payload: Uint8Array | undefined;
  private payloadFilled = 0;
  private failure: Error | undefined;

  constructor(options: FrameStreamParserOptions = {}) {
    this.maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
    this.allocate = options.allocate ?? ((bytes) => new Uint8Array(bytes));
    this.admit = options.admit;
  }

  get error(): Error | undefined {
    return this.failure;
  }

  /** True between frames: the stream may end here without losing data. */
  get atFrameBoundary(): boolean {
    return this.headerFilled === 0 && this.header === undefined;
  }

  /** True while a frame's header is complete and its payload is not. */
  get inPayload(): boolean {
    return this.header !== undefined;
  }

  push(chunk: Uint8Array): ParseResult {
    const frames: WireFrame[] = [];
    let offset = 0;
    while (!this.failure && offset < chunk.length) {
      if (this.header === undefined) {
        const take = Math.min(FRAME_HEADER_BYTES - this.headerFilled, chunk.length - offset);
        this.headerBytes.set(chunk.subarray(offset, offset + take), this.headerFilled);
        this.headerFilled += take;
        offset += take;
        if (this.headerFilled < FRAME_HEADER_BYTES) break;
        const header = decodeFrameHeader(this.headerBytes, this.maxFrameBytes);
        if (header instanceof FrameProtocolError) {
          this.failure = header;
          break;
        }
        const refused = this.admit?.(header);
        if (refused) {
          this.failure = refused;
          break;
        }
        this.header = header;
        this.payload = this.allocate(header.payloadBytes);
        this.payloadFilled = 0;
      }
      const payload = this.payload!;
      const take = Math.min(payload.length - this.payloadFilled, chunk.length - offset);
      payload.set(chunk.subarray(offset, offset + take), this.payloadFilled);
      this.payloadFilled += take;
      offset += take;
      if (this.payloadFilled === payload.length) {
        frames.push({ header: this.header, payload });
        this.header = undefined;
        this.payload = undefined;
        this.headerFilled = 0;
      }
    }
    return this.failure ? { frames, error: this.failure } : { frames };
  }

  /**
   * Stops parsing (the connection is being closed) and lets go of the unfinished payload at once,
   * instead of when the socket is finally collected.
   */
  abandon(reason: Error): void {
    this.failure ??= reason;
    this.header = undefined;
    this.payload = undefined;
  }

  /** Call when the stream ended: returns an error if it ended inside a frame. */
  finish(): Error | undefined {
    if (this.failure) return this.failure;
    if (this.header) {
      this.failure = new FrameProtocolError(
        `peer disconnected in the middle of a frame: got ${this.payloadFilled} of ${this.header.payloadBytes} payload bytes`,
      );
    } else if (this.headerFilled > 0) {
      this.failure = new FrameProtocolError(`peer disconnected in the middle of a frame header: got ${this.headerFilled} of ${FRAME_HEADER_BYTES} bytes`);
    }
    return this.failure;
  }
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
}
