import t from 'tap';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import {
  DEFAULT_MAX_FRAME_BYTES,
  FRAME_HEADER_BYTES,
  FrameProtocolError,
  FrameStreamParser,
  decodeFrameHeader,
  decodeFrameMessage,
  encodeFrameHeader,
  encodeFrameMessage,
} from '../../src/sources/protocol.js';
import { syntheticFrame } from './helpers.js';

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** A header with chosen raw field values, written independently of the encoder. */
function rawHeader(fields: { magic?: string; version?: number; format?: number; flags?: number; reserved?: number; width?: number; height?: number; timestamp?: number; streamId?: number; payload?: number }): Uint8Array {
  const bytes = new Uint8Array(FRAME_HEADER_BYTES);
  const view = new DataView(bytes.buffer);
  const magic = fields.magic ?? 'RRMF';
  for (let i = 0; i < 4; i++) bytes[i] = magic.charCodeAt(i);
  view.setUint8(4, fields.version ?? 1);
  view.setUint8(5, fields.format ?? 3);
  view.setUint8(6, fields.flags ?? 0);
  view.setUint8(7, fields.reserved ?? 0);
  view.setUint32(8, fields.width ?? 2, true);
  view.setUint32(12, fields.height ?? 2, true);
  view.setFloat64(16, fields.timestamp ?? 0, true);
  view.setUint32(24, fields.streamId ?? 0, true);
  view.setUint32(28, fields.payload ?? 12, true);
  return bytes;
}

t.test('the header has the documented byte layout', async (t) => {
  const frame = { ...syntheticFrame(0, 3, 2, 4), timestamp: 1234.5, keyframe: true };
  const header = encodeFrameHeader(frame, 7);
  t.same(Array.from(header.subarray(0, 8)), [0x52, 0x52, 0x4d, 0x46, 1, 4, 1, 0]);
  const view = new DataView(header.buffer);
  t.equal(view.getUint32(8, true), 3);
  t.equal(view.getUint32(12, true), 2);
  t.equal(view.getFloat64(16, true), 1234.5);
  t.equal(view.getUint32(24, true), 7);
  t.equal(view.getUint32(28, true), 24);
  t.same(rawHeader({ width: 3, height: 2, format: 4, flags: 1, timestamp: 1234.5, streamId: 7, payload: 24 }), header);
});

t.test('a frame survives encode and decode', async (t) => {
  const frame = { ...syntheticFrame(3, 5, 4, 1, 9), keyframe: true };
  const decoded = decodeFrameMessage(encodeFrameMessage(frame));
  if (decoded instanceof FrameProtocolError) throw decoded;
  t.same(decoded.header, { width: 5, height: 4, channels: 1, timestamp: 120, streamId: 9, keyframe: true, payloadBytes: 20 });
  t.same(decoded.payload, frame.data);
});

t.test('the encoder refuses frames whose data does not match their size', async (t) => {
  t.throws(() => encodeFrameHeader({ ...syntheticFrame(0), width: 9 }), /data holds 144 bytes, expected 9×6×3 = 162/);
});

t.test('every invalid header field is reported with what was expected', async (t) => {
  const cases: Array<[Parameters<typeof rawHeader>[0], RegExp]> = [
    [{ magic: 'GET ' }, /bad magic 47455420: expected 52524d46/],
    [{ version: 2 }, /unsupported protocol version 2: expected 1/],
    [{ format: 2 }, /unsupported pixel format 2: expected 1 \(gray\), 3 \(rgb24\) or 4 \(rgba\)/],
    [{ flags: 0x80 }, /unknown flags 0x80/],
    [{ reserved: 1 }, /non-zero reserved byte/],
    [{ width: 0 }, /empty frame 0×2/],
    [{ timestamp: NaN }, /not a finite number/],
    [{ width: 65535, height: 65535, payload: 0xffffffff }, /needs 12884508675 bytes, more than maxFrameBytes = 67108864/],
    [{ payload: 13 }, /payload length 13 does not match 2×2×3 = 12 bytes/],
  ];
  for (const [fields, message] of cases) {
    const result = decodeFrameHeader(rawHeader(fields));
    t.ok(result instanceof FrameProtocolError, JSON.stringify(fields));
    t.match((result as Error).message, message);
  }
  t.ok(decodeFrameHeader(rawHeader({ width: 4096, height: 4096, format: 4, payload: 4096 * 4096 * 4 }), DEFAULT_MAX_FRAME_BYTES) instanceof FrameProtocolError === false, '64 MiB is allowed');
  t.match((decodeFrameHeader(rawHeader({}), 11) as Error).message, /more than maxFrameBytes = 11/);
});

t.test('the stream parser reassembles frames split at every possible byte', async (t) => {
  const frames = [syntheticFrame(0, 3, 2, 3, 1), syntheticFrame(1, 2, 2, 1, 1), { ...syntheticFrame(2, 1, 1, 4, 2), keyframe: true }];
  const stream = concat(frames.map((frame) => encodeFrameMessage(frame)));
  const expected = frames.map((frame) => Array.from(frame.data));
  const failures: string[] = [];
  for (let cut = 0; cut <= stream.length; cut++) {
    for (const size of [1, 5, 32, 1000]) {
      const parser = new FrameStreamParser();
      const received = [];
      for (const part of [stream.subarray(0, cut), stream.subarray(cut)]) {
        for (let offset = 0; offset < part.length; offset += size) {
          const result = parser.push(part.subarray(offset, offset + size));
          if (result.error) failures.push(`cut ${cut}, chunk ${size}: ${result.error.message}`);
          received.push(...result.frames);
        }
      }
      const payloads = JSON.stringify(received.map((frame) => Array.from(frame.payload)));
      if (payloads !== JSON.stringify(expected) || parser.finish()) failures.push(`cut ${cut}, chunk ${size}: ${received.length} frames`);
    }
  }
  t.same(failures, [], `${stream.length + 1} cuts × 4 chunk sizes`);
  t.end();
});

t.test('finish() reports a peer that stopped inside a header or a payload', async (t) => {
  const message = encodeFrameMessage(syntheticFrame(0));
  const inHeader = new FrameStreamParser();
  inHeader.push(message.subarray(0, 10));
  t.match(inHeader.finish()!.message, /middle of a frame header: got 10 of 32 bytes/);
  const inPayload = new FrameStreamParser();
  inPayload.push(message.subarray(0, 40));
  t.match(inPayload.finish()!.message, /middle of a frame: got 8 of 144 payload bytes/);
  t.equal(new FrameStreamParser().finish(), undefined, 'an empty stream is fine');
});

t.test('an error sticks: nothing after a bad header is parsed', async (t) => {
  const parser = new FrameStreamParser();
  const good = encodeFrameMessage(syntheticFrame(0));
  const result = parser.push(concat([good, rawHeader({ version: 9 }), good]));
  t.equal(result.frames.length, 1);
  t.match(result.error!.message, /version 9/);
  t.equal(parser.push(good).frames.length, 0);
});

t.test('fuzz: 12,000 random and mutated streams never throw nor allocate beyond maxFrameBytes', async (t) => {
  const maxFrameBytes = 4096;
  let allocatedMax = 0;
  let framesSeen = 0;
  let errorsSeen = 0;
  const allocate = (bytes: number) => {
    allocatedMax = Math.max(allocatedMax, bytes);
    return new Uint8Array(bytes);
  };
  const validStream = fc
    .array(
      fc.record({ width: fc.integer({ min: 1, max: 40 }), height: fc.integer({ min: 1, max: 40 }), channels: fc.constantFrom(1 as const, 3 as const, 4 as const), index: fc.nat(1000) }),
      { minLength: 1, maxLength: 4 },
    )
    .map((shapes) => concat(shapes.map(({ width, height, channels, index }) => encodeFrameMessage(syntheticFrame(index, width, height, channels)))));
  const mutatedStream = fc
    .tuple(validStream, fc.array(fc.tuple(fc.nat(), fc.nat(255)), { minLength: 1, maxLength: 6 }), fc.nat())
    .map(([bytes, flips, truncate]) => {
      const copy = bytes.slice(0, bytes.length - (truncate % 8 === 0 ? truncate % bytes.length : 0));
      for (const [position, value] of flips) if (copy.length) copy[position % copy.length] = value;
      return copy;
    });
  // Headers with every field random but a valid magic and version reach the size checks.
  const hostileHeader = fc.tuple(fc.nat(6), fc.nat(3), fc.nat(), fc.nat(), fc.double(), fc.nat(), fc.uint8Array({ maxLength: 64 })).map(
    ([format, flags, width, height, timestamp, payload, tail]) => concat([rawHeader({ format, flags, width, height, timestamp, payload }), tail]),
  );
  const anyStream = fc.oneof(fc.uint8Array({ maxLength: 300 }), validStream, mutatedStream, hostileHeader);
  fc.assert(
    fc.property(anyStream, fc.array(fc.integer({ min: 1, max: 97 }), { minLength: 1, maxLength: 8 }), (bytes, chunkSizes) => {
      const parser = new FrameStreamParser({ maxFrameBytes, allocate });
      let offset = 0;
      for (let i = 0; offset < bytes.length; i++) {
        const size = chunkSizes[i % chunkSizes.length]!;
        const result = parser.push(bytes.subarray(offset, offset + size));
        offset += size;
        framesSeen += result.frames.length;
        for (const frame of result.frames) {
          if (frame.payload.length !== frame.header.width * frame.header.height * frame.header.channels) return false;
        }
      }
      if (parser.finish()) errorsSeen++;
      const message = decodeFrameMessage(bytes, maxFrameBytes);
      return allocatedMax <= maxFrameBytes && (message instanceof FrameProtocolError || message.payload.length <= maxFrameBytes);
    }),
    { numRuns: 12_000, seed: 20261128 },
  );
  t.ok(allocatedMax <= maxFrameBytes, `largest allocation ${allocatedMax} ≤ ${maxFrameBytes}`);
  t.ok(framesSeen > 1000 && errorsSeen > 1000, `the fuzz reached both outcomes: ${framesSeen} frames, ${errorsSeen} rejected streams`);
});

t.test("the worked example in docs/frame-protocol.md decodes to what the doc says", async (t) => {
  const doc = readFileSync(new URL('../../docs/frame-protocol.md', import.meta.url), 'utf8');
  const block = /```\n([\s\S]*?)```/.exec(doc.slice(doc.indexOf('Example:')))![1]!;
  const hex = block.split('\n').map((line) => line.replace(/\s{3,}.*$/, '')).join(' ');
  const bytes = Uint8Array.from(hex.trim().split(/\s+/), (byte) => parseInt(byte, 16));
  const decoded = decodeFrameMessage(bytes);
  if (decoded instanceof FrameProtocolError) throw decoded;
  t.same(decoded.header, { width: 2, height: 1, channels: 3, timestamp: 40, streamId: 3, keyframe: true, payloadBytes: 6 });
  t.same(Array.from(decoded.payload), [255, 0, 0, 0, 255, 0]);
});

t.test('decoded payloads are plain Uint8Arrays that own their bytes', async (t) => {
  const message = Buffer.from(encodeFrameMessage(syntheticFrame(1)));
  const decoded = decodeFrameMessage(message);
  if (decoded instanceof FrameProtocolError) throw decoded;
  t.equal(decoded.payload.constructor, Uint8Array);
  message.fill(0);
  t.same(decoded.payload, syntheticFrame(1).data, 'unchanged when the received buffer is reused');
});
