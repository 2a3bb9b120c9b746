import t from 'tap';
import { createReadStream, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { lastValueFrom, take, toArray } from 'rxjs';
import { fromY4M } from '../../src/sources/y4m.js';
import type { Frame } from '../../src/types.js';
import { generateClip, maxAbsDiff, meanAbsDiff, referenceDecode, tempDir } from './helpers.js';

const dir = tempDir(t);
const SIZE = '66x50'; // even, but not a multiple of 4 or 16: chroma rows and columns at the borders matter

function y4m(name: string, pixelFormat: string, filter?: string): string {
  return generateClip(join(dir, `${name}.y4m`), { size: SIZE, frames: 5, codecArgs: ['-pix_fmt', pixelFormat, '-strict', '-1'], ...(filter ? { filter } : {}) });
}

function joined(frames: Frame[]): Uint8Array {
  return Buffer.concat(frames.map((frame) => frame.data));
}

/** Splits a file into chunks of the given sizes in turn, as a Web ReadableStream. */
function chunkedStream(bytes: Uint8Array, sizes: number[]): ReadableStream<Uint8Array> {
  let offset = 0;
  let turn = 0;
  return new ReadableStream({
    pull(controller) {
      if (offset >= bytes.length) return controller.close();
      const size = sizes[turn++ % sizes.length]!;
      controller.enqueue(bytes.slice(offset, offset + size));
      offset += size;
    },
  });
}

t.test('4:4:4 decodes to the RGB ffmpeg computes, within rounding', async (t) => {
  // 4:4:4 has no chroma interpolation, so the only difference left is fixed- vs floating-point rounding.
  const path = y4m('c444', 'yuv444p');
  const frames = await lastValueFrom(fromY4M(path).pipe(toArray()));
  t.same([frames.length, frames[0]!.width, frames[0]!.height, frames[0]!.channels], [5, 66, 50, 3]);
  t.same(frames.map((frame) => frame.timestamp), [0, 40, 80, 120, 160], 'index / F25:1');
  const reference = referenceDecode(path, 'rgb24', ['-sws_flags', 'accurate_rnd+full_chroma_int']);
  t.ok(maxAbsDiff(joined(frames), reference) <= 3, `max difference ${maxAbsDiff(joined(frames), reference)}`);
});

t.test('4:2:0 and 4:2:2 match ffmpeg except where its chroma interpolation smooths colour edges', async (t) => {
  for (const format of ['yuv420p', 'yuv422p']) {
    const path = y4m(format, format);
    const frames = await lastValueFrom(fromY4M(path).pipe(toArray()));
    const reference = referenceDecode(path, 'rgb24');
    const mean = meanAbsDiff(joined(frames), reference);
    // testsrc is all sharp colour edges: sample repetition vs interpolation differs only along them.
    t.ok(mean < 4, `${format}: mean difference ${mean.toFixed(2)} grey levels`);
  }
});

t.test('gray output is the luma plane expanded to full range, as ffmpeg does', async (t) => {
  const path = y4m('gray420', 'yuv420p');
  const frames = await lastValueFrom(fromY4M(path, { pixelFormat: 'gray' }).pipe(toArray()));
  t.equal(frames[0]!.channels, 1);
  const reference = referenceDecode(path, 'gray');
  t.ok(maxAbsDiff(joined(frames), reference) <= 1, `max difference ${maxAbsDiff(joined(frames), reference)}`);
});

t.test('mono (Cmono) and full-range files', async (t) => {
  const mono = y4m('mono', 'gray');
  t.match(readFileSync(mono, 'latin1').slice(0, 60), /Cmono/);
  const frames = await lastValueFrom(fromY4M(mono).pipe(toArray()));
  t.equal(frames[0]!.channels, 3, 'mono expands to RGB on request');
  // Grey in every channel: the file's luma bytes, expanded from limited range ((Y − 16) · 255/219)
  // unless the header says XCOLORRANGE=FULL. Computed here from the file, not by ffmpeg: the static
  // 4.1 build writes limited-range Cmono and reads it as full range; Debian's 5.1 writes it full range.
  const bytes = readFileSync(mono);
  const header = bytes.subarray(0, bytes.indexOf('\n')).toString('latin1');
  const lumaBytes = bytes.subarray(bytes.indexOf('FRAME\n') + 6).subarray(0, 66 * 50);
  const fullRange = header.includes('XCOLORRANGE=FULL');
  const expanded = Uint8Array.from(lumaBytes, (y) => (fullRange ? y : Math.min(255, Math.max(0, Math.round(((y - 16) * 255) / 219)))));
  const firstFrame = frames[0]!.data;
  const worst = Math.max(...expanded.map((y, p) => Math.max(...[0, 1, 2].map((c) => Math.abs(firstFrame[p * 3 + c]! - y)))));
  t.ok(worst <= 1, `mono (${fullRange ? 'full' : 'limited'} range): max difference ${worst} from the file's luma`);
  const full = y4m('full', 'yuvj444p');
  t.match(readFileSync(full, 'latin1').slice(0, 80), /XCOLORRANGE=FULL/);
  const fullFrames = await lastValueFrom(fromY4M(full).pipe(toArray()));
  const reference = referenceDecode(full, 'rgb24', ['-sws_flags', 'accurate_rnd+full_chroma_int']);
  t.ok(maxAbsDiff(joined(fullFrames), reference) <= 3, `full range: max difference ${maxAbsDiff(joined(fullFrames), reference)}`);
});

t.test('Web streams and Node streams of any chunking give the same frames as the file', async (t) => {
  const path = y4m('stream', 'yuv420p');
  const expected = joined(await lastValueFrom(fromY4M(path).pipe(toArray())));
  const bytes = readFileSync(path);
  for (const sizes of [[1], [7, 3000], [65536], [31, 1, 2]]) {
    const frames = await lastValueFrom(fromY4M(chunkedStream(bytes, sizes)).pipe(toArray()));
    t.same(joined(frames), expected, `chunks of ${sizes.join(', ')}`);
  }
  const fromNode = await lastValueFrom(fromY4M(createReadStream(path, { highWaterMark: 1000 })).pipe(toArray()));
  t.same(joined(fromNode), expected, 'a Node Readable (async iterable)');
});

t.test('unsubscribing cancels the stream', async (t) => {
  let cancelled = false;
  const path = y4m('cancel', 'yuv420p');
  const bytes = readFileSync(path);
  const inner = chunkedStream(bytes, [4000]).getReader();
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { done, value } = await inner.read();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    cancel() {
      cancelled = true;
    },
  });
  const frames = await lastValueFrom(fromY4M(stream).pipe(take(1), toArray()));
  t.equal(frames.length, 1);
  t.ok(cancelled, 'the ReadableStream was cancelled');
});

t.test('bad input is reported with what was expected', async (t) => {
  const good = readFileSync(y4m('bad', 'yuv420p'));
  const write = (name: string, bytes: Uint8Array | string) => {
    const path = join(dir, name);
    writeFileSync(path, bytes);
    return path;
  };
  const header = good.subarray(0, good.indexOf(0x0a) + 1).toString('latin1');
  const cases: Array<[string, RegExp]> = [
    [write('empty.y4m', ''), /empty input: expected a Y4M stream/],
    [write('png.y4m', '\x89PNG\r\n\x1a\n'), /not a Y4M stream: it starts with .*expected "YUV4MPEG2 "/],
    [write('binary.y4m', new Uint8Array(10000)), /not a Y4M stream: no line end within 4096 bytes/],
    [write('c411.y4m', header.replace('C420jpeg', 'C411')), /unsupported Y4M colour space C411: expected one of .*420jpeg.*mono/],
    [write('nosize.y4m', 'YUV4MPEG2 W0 H10\n'), /no valid size \(W0 H10\)/],
    [write('huge.y4m', 'YUV4MPEG2 W100000 H100000 C444\n'), /need 30000000000 bytes, more than maxFrameBytes/],
    [write('truncated.y4m', good.subarray(0, good.length - 100)), /ends inside frame 4: got \d+ of 4950 bytes/],
    [write('noframe.y4m', header + 'FRAMX\n'), /frame 0: expected a "FRAME" line, found "FRAMX"/],
    [join(dir, 'missing.y4m'), /ENOENT/],
  ];
  for (const [path, message] of cases) {
    const error = await lastValueFrom(fromY4M(path)).then(() => new Error('no error'), (e: Error) => e);
    t.match(error.message, message, message.source);
  }
  const badFormat = await lastValueFrom(fromY4M(join(dir, 'bad.y4m'), { pixelFormat: 'rgba' as 'gray' })).catch((e: Error) => e);
  t.match((badFormat as Error).message, /unsupported pixelFormat 'rgba': expected 'rgb24' or 'gray'/);
});
