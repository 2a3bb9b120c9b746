import t from 'tap';
import { convertFrameInJs, createFrameConverter } from '../../src/kernels/frame-to-tensor.js';
import { nativeKernelStatus } from '../../src/kernels/native/native-backend.js';
import { createWasmFrameConverter } from '../../src/kernels/wasm/frame-converter.js';
import { prng, randomArray } from '../helpers/random.js';
import { naiveConvertFrame } from '../helpers/reference/convert-frame.js';

const native = nativeKernelStatus();
const wasm = createWasmFrameConverter();
const nativeConverter = createFrameConverter();
const implementations = [
  { name: 'JavaScript', convert: convertFrameInJs, skip: false as const },
  // One converter for every case below: its buffers grow and shrink with the frames, and its copy
  // of the output must follow each output array it is handed.
  { name: 'WebAssembly', convert: wasm ? wasm.convert.bind(wasm) : convertFrameInJs, skip: wasm ? (false as const) : 'the wasm kernels are not built' },
  { name: 'native', convert: nativeConverter.convert.bind(nativeConverter), skip: native.available ? (false as const) : 'native kernels not available' },
];

/** Bytes at `offset` in a larger buffer: the word comparison must not assume aligned views. */
function placed(bytes: Uint8Array, offset: number): Uint8Array {
  const buffer = new Uint8Array(bytes.length + offset);
  buffer.set(bytes, offset);
  return buffer.subarray(offset);
}

for (const { name, convert, skip } of implementations) {
  t.test(`frame conversion (${name}): the values and the changed pixels of the naive conversion`, { skip }, async (t) => {
    const random = prng(41);
    for (const channels of [1, 2, 3, 4]) {
      for (const [width, height] of [[1, 1], [7, 5], [33, 17], [320, 4]] as const) {
        const pixels = width * height;
        const tables = randomArray(random, 256 * channels);
        const previousBytes = Uint8Array.from({ length: pixels * channels }, () => Math.floor(random() * 256));
        for (const fraction of [0, 0.01, 0.3, 1]) {
          const changedBytes = previousBytes.slice();
          for (let p = 0; p < pixels; p++) if (random() < fraction) changedBytes[p * channels + Math.floor(random() * channels)] ^= 1 + Math.floor(random() * 255);
          for (const offset of [0, 1, 4]) {
            const previous = placed(previousBytes, offset);
            const data = placed(changedBytes, offset);
            const run = (implementation: typeof naiveConvertFrame) => {
              const output = new Float32Array(pixels * channels);
              const all = new Int32Array(pixels);
              const firstCount = implementation(previous, null, output, tables, channels, all);
              const changed = new Int32Array(pixels);
              const count = implementation(data, previous, output, tables, channels, changed);
              const unlisted = implementation(data, previous, output.slice(), tables, channels, null);
              return { output: Array.from(output), first: Array.from(all.subarray(0, firstCount)), changed: Array.from(changed.subarray(0, count)), unlisted };
            };
            const [got, expected] = [run(convert), run(naiveConvertFrame)];
            const label = `${channels} channels, ${width}x${height}, ${fraction * 100}% changed, byte offset ${offset}`;
            t.same(got.first, expected.first, `${label}: every pixel listed for a first frame`);
            t.same(got.changed, expected.changed, `${label}: changed pixels`);
            t.equal(got.unlisted, expected.changed.length, `${label}: count without a list`);
            t.same(got.output, expected.output, `${label}: values`);
          }
        }
      }
    }
    // Branches from one frame: B after A, then C after A again into A's conversion (a caller that
    // keeps two outputs). A converter that kept B's conversion must not hand its values back.
    {
      const [width, height] = [61, 9];
      const size = width * height * 3;
      const tables = randomArray(random, 3 * 256);
      const a = Uint8Array.from({ length: size }, () => Math.floor(random() * 256));
      const b = a.map((byte, i) => (i % 5 === 0 ? byte ^ 0x5a : byte));
      const c = a.map((byte, i) => (i % 7 === 0 ? byte ^ 0x33 : byte));
      const run = (implementation: typeof naiveConvertFrame) => {
        const ofA = new Float32Array(size);
        implementation(a, null, ofA, tables, 3, null);
        const ofB = ofA.slice();
        implementation(b, a, ofB, tables, 3, null);
        const ofC = ofA.slice();
        const changed = new Int32Array(width * height);
        const count = implementation(c, a, ofC, tables, 3, changed);
        return { ofB: Array.from(ofB), ofC: Array.from(ofC), changed: Array.from(changed.subarray(0, count)) };
      };
      t.same(run(convert), run(naiveConvertFrame), 'two frames after the same one: each conversion its own');
    }
    // The naive conversion itself, against the definition: every value its table's, at every pixel.
    const tables = randomArray(random, 3 * 256);
    const bytes = Uint8Array.from({ length: 3 * 40 }, () => Math.floor(random() * 256));
    const output = new Float32Array(bytes.length);
    naiveConvertFrame(bytes, null, output, tables, 3, null);
    t.same(Array.from(output), Array.from(bytes, (byte, i) => tables[(i % 3) * 256 + byte]!), 'the reference follows the tables');
  });
}
