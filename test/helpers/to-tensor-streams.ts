/**
 * Run as a child process by test/kernels/frame-converter-fallback.test.ts (with RRM_NATIVE=0, so
 * that toTensor converts frames on the wasm kernels): streams of frames through `toTensor`, fused
 * (one map updated in place) and not, each map checked against the naive conversion of its frame
 * and each change hint against the pixels whose bytes changed. Prints one JSON line.
 */
import { firstValueFrom, from, map, toArray } from 'rxjs';
import { toTensor } from '../../src/operators/to-tensor.js';
import { createFrameConverter } from '../../src/kernels/frame-to-tensor.js';
import type { Frame, FrameChannels } from '../../src/types.js';
import { prng } from './random.js';
import { naiveConvertFrame } from './reference/convert-frame.js';

const random = prng(7);
/** A scene with a moving block and noise, a size change, a keyframe and a repeated frame. */
function frames(): Frame[] {
  const list: Frame[] = [];
  let bytes: Uint8Array | undefined;
  for (let index = 0; index < 24; index++) {
    const [width, height, channels]: [number, number, FrameChannels] = index < 12 ? [37, 21, 3] : index < 18 ? [64, 48, 3] : [19, 7, 1];
    const size = width * height * channels;
    if (!bytes || bytes.length !== size) bytes = Uint8Array.from({ length: size }, () => Math.floor(random() * 256));
    else if (index !== 15) {
      bytes = bytes.slice();
      for (let i = (index * 97) % size; i < Math.min(size, (index * 97) % size + 200); i++) bytes[i] = (bytes[i]! + 1 + index) & 255;
      for (let k = 0; k < 30; k++) bytes[Math.floor(random() * size)] = Math.floor(random() * 256);
    }
    list.push({ data: bytes, width, height, channels, index, timestamp: index, ...(index === 9 ? { keyframe: true } : {}) });
  }
  return list;
}

const options = { scale: 1 / 64, mean: 0.5, std: 2 };
const input = frames();
let mismatches = 0;
let hintMismatches = 0;
for (const fused of [false, true]) {
  const maps = await firstValueFrom(
    from(input).pipe(
      toTensor(options, { fused }),
      map((m) => ({ data: m.data.slice(), hint: m.changes ? Array.from(m.changes.pixels) : undefined, height: m.height, width: m.width, channels: m.channels })),
      toArray(),
    ),
  );
  for (let k = 0; k < input.length; k++) {
    const frame = input[k]!;
    const tables = new Float32Array(256 * frame.channels);
    for (let c = 0; c < frame.channels; c++) for (let b = 0; b < 256; b++) tables[c * 256 + b] = (b * options.scale - options.mean) / options.std;
    const expected = new Float32Array(frame.data.length);
    naiveConvertFrame(frame.data, null, expected, tables, frame.channels, null);
    const got = maps[k]!.data;
    for (let i = 0; i < expected.length; i++) if (got[i] !== expected[i]) mismatches++;
    const previous = input[k - 1];
    if (previous && previous.data.length === frame.data.length && previous.channels === frame.channels && !frame.keyframe) {
      const changed = new Int32Array(frame.width * frame.height);
      const count = naiveConvertFrame(frame.data, previous.data, new Float32Array(expected.length), tables, frame.channels, changed);
      if (JSON.stringify(maps[k]!.hint) !== JSON.stringify(Array.from(changed.subarray(0, count)))) hintMismatches++;
    }
  }
}
console.log(JSON.stringify({ converter: createFrameConverter().constructor.name, frames: input.length, mismatches, hintMismatches }));
