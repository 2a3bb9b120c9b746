/** Byte streams and messages for the protocol fuzz: valid frames, then one seeded mutation. */
import { encodeFrameMessage } from '../../src/sources/protocol.js';
import type { Frame, FrameChannels } from '../../src/types.js';

/** 1 to 6 valid frame messages of up to 40x40 pixels on streams 0-3. */
export function validMessages(random: () => number): Uint8Array[] {
  const count = 1 + Math.floor(random() * 6);
  return Array.from({ length: count }, (_, index) => {
    const width = 1 + Math.floor(random() * 40);
    const height = 1 + Math.floor(random() * 40);
    const channels = ([1, 3, 4] as const)[Math.floor(random() * 3)] as FrameChannels;
    const data = Uint8Array.from({ length: width * height * channels }, () => Math.floor(random() * 256));
    const frame: Frame = { data, width, height, channels, index, timestamp: random() * 1e6, keyframe: random() < 0.3 };
    return encodeFrameMessage(frame, Math.floor(random() * 4));
  });
}

const EDGE_U32 = [0, 1, 2, 0xffff, 0x10000, 0x7fffffff, 0xffffffff];
const EDGE_F64 = [NaN, Infinity, -Infinity, 0, -0, 1e308, -1e-308];

/** One mutation of `bytes` (a stream or a message), described for failure messages. */
export function mutate(random: () => number, bytes: Uint8Array, headerOffsets: readonly number[]): { bytes: Uint8Array; what: string } {
  const out = bytes.slice();
  const view = new DataView(out.buffer);
  const headerAt = headerOffsets[Math.floor(random() * headerOffsets.length)] ?? 0;
  const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)]!;
  switch (Math.floor(random() * 8)) {
    case 0:
      return { bytes: out, what: 'unchanged' };
    case 1: {
      // A bit flip, in a header three times out of four.
      const at = random() < 0.75 ? headerAt + Math.floor(random() * 32) : Math.floor(random() * out.length);
      if (at < out.length) out[at]! ^= 1 << Math.floor(random() * 8);
      return { bytes: out, what: `bit flip at ${at}` };
    }
    case 2: {
      const field = pick([8, 12, 24, 28]);
      const value = pick(EDGE_U32);
      if (headerAt + field + 4 <= out.length) view.setUint32(headerAt + field, value, true);
      return { bytes: out, what: `u32 at ${headerAt + field} = ${value}` };
    }
    case 3: {
      const value = pick(EDGE_F64);
      if (headerAt + 24 <= out.length) view.setFloat64(headerAt + 16, value, true);
      return { bytes: out, what: `timestamp = ${value}` };
    }
    case 4: {
      const field = pick([0, 4, 5, 6, 7]);
      const value = Math.floor(random() * 256);
      if (headerAt + field < out.length) out[headerAt + field] = value;
      return { bytes: out, what: `byte ${headerAt + field} = ${value}` };
    }
    case 5: {
      const at = Math.floor(random() * out.length);
      return { bytes: out.slice(0, at), what: `cut at ${at} of ${out.length}` };
    }
    case 6: {
      const at = Math.floor(random() * (out.length + 1));
      const garbage = Uint8Array.from({ length: 1 + Math.floor(random() * 40) }, () => Math.floor(random() * 256));
      const joined = new Uint8Array(out.length + garbage.length);
      joined.set(out.subarray(0, at), 0);
      joined.set(garbage, at);
      joined.set(out.subarray(at), at + garbage.length);
      return { bytes: joined, what: `${garbage.length} garbage bytes at ${at}` };
    }
    default: {
      // Payload length one off, either way.
      const delta = random() < 0.5 ? 1 : -1;
      if (headerAt + 32 <= out.length) view.setUint32(headerAt + 28, (view.getUint32(headerAt + 28, true) + delta) >>> 0, true);
      return { bytes: out, what: `payload length ${delta > 0 ? '+1' : '-1'}` };
    }
  }
}

/** Splits bytes into 1 to 5 chunks at random points (the receiver must reassemble them). */
export function chunks(random: () => number, bytes: Uint8Array): Uint8Array[] {
  const cuts = Array.from({ length: Math.floor(random() * 5) }, () => Math.floor(random() * bytes.length)).sort((a, b) => a - b);
  const pieces: Uint8Array[] = [];
  let start = 0;
  for (const cut of [...cuts, bytes.length]) {
    if (cut > start) pieces.push(bytes.subarray(start, cut));
    start = Math.max(start, cut);
  }
  return pieces;
}
