/**
 * The frame protocol as docs/frame-protocol.md states it, written again from the document (not
 * from src/sources/protocol.ts): what a receiver must deliver from a byte stream or a message, and
 * whether it must report an error. The fuzz tests compare the real receivers with this.
 */

export interface ExpectedFrame {
  readonly width: number;
  readonly height: number;
  readonly channels: number;
  readonly streamId: number;
  readonly timestamp: number;
  readonly keyframe: boolean;
  readonly payload: Uint8Array;
}

export interface Expectation {
  readonly frames: ExpectedFrame[];
  /** The receiver must close the connection and report an error. */
  readonly error: boolean;
}

type HeaderResult = { frame: Omit<ExpectedFrame, 'payload'>; payloadBytes: number } | 'invalid';

function header(bytes: Uint8Array, offset: number, maxFrameBytes: number): HeaderResult {
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, 32);
  if (view.getUint32(0, false) !== 0x52524d46) return 'invalid'; // "RRMF"
  if (view.getUint8(4) !== 1) return 'invalid';
  const channels = view.getUint8(5);
  if (channels !== 1 && channels !== 3 && channels !== 4) return 'invalid';
  const flags = view.getUint8(6);
  if (flags > 1 || view.getUint8(7) !== 0) return 'invalid';
  const width = view.getUint32(8, true);
  const height = view.getUint32(12, true);
  if (width < 1 || height < 1) return 'invalid';
  const timestamp = view.getFloat64(16, true);
  if (!Number.isFinite(timestamp)) return 'invalid';
  const needed = width * height * channels;
  const payloadBytes = view.getUint32(28, true);
  if (needed > maxFrameBytes || payloadBytes !== needed) return 'invalid';
  return { frame: { width, height, channels, streamId: view.getUint32(24, true), timestamp, keyframe: flags === 1 }, payloadBytes };
}

/** TCP: frames back to back; the first violation, or an end inside a frame, is an error. */
export function expectStream(bytes: Uint8Array, maxFrameBytes: number): Expectation {
  const frames: ExpectedFrame[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    if (bytes.length - offset < 32) return { frames, error: true };
    const parsed = header(bytes, offset, maxFrameBytes);
    if (parsed === 'invalid') return { frames, error: true };
    if (bytes.length - offset - 32 < parsed.payloadBytes) return { frames, error: true };
    frames.push({ ...parsed.frame, payload: bytes.slice(offset + 32, offset + 32 + parsed.payloadBytes) });
    offset += 32 + parsed.payloadBytes;
  }
  return { frames, error: false };
}

/** WebSocket: one frame per binary message, exactly its payload; text messages are errors. */
export function expectMessages(messages: readonly (Uint8Array | string)[], maxFrameBytes: number): Expectation {
  const frames: ExpectedFrame[] = [];
  for (const message of messages) {
    if (typeof message === 'string' || message.length < 32) return { frames, error: true };
    const parsed = header(message, 0, maxFrameBytes);
    if (parsed === 'invalid' || message.length - 32 !== parsed.payloadBytes) return { frames, error: true };
    frames.push({ ...parsed.frame, payload: message.slice(32) });
  }
  return { frames, error: false };
}
