import t from 'tap';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { lastValueFrom, take, toArray } from 'rxjs';
import { fromImages, naturalCompare } from '../../src/sources/images.js';
import type { Frame } from '../../src/types.js';
import { ffmpeg, maxAbsDiff, meanAbsDiff, referenceDecode, tempDir } from './helpers.js';

const dir = tempDir(t);
const pngDir = join(dir, 'png');
const jpgDir = join(dir, 'jpg');
mkdirSync(pngDir);
mkdirSync(jpgDir);
// 12 frames named frame1 ... frame12: plain string sorting would put frame10 before frame2.
ffmpeg(['-f', 'lavfi', '-i', 'testsrc=size=48x36:rate=25', '-frames:v', '12', '-start_number', '1', join(pngDir, 'frame%d.png')]);
ffmpeg(['-f', 'lavfi', '-i', 'testsrc=size=48x36:rate=25', '-frames:v', '3', '-q:v', '2', '-start_number', '1', join(jpgDir, 'frame%d.jpg')]);
writeFileSync(join(pngDir, 'notes.txt'), 'not an image');

function bytesOf(frames: Frame[]): Buffer {
  return Buffer.concat(frames.map((frame) => frame.data));
}

t.test('natural sort order', async (t) => {
  t.same(['f10.png', 'f2.png', 'f1.png', 'F3.png'].sort(naturalCompare), ['f1.png', 'f2.png', 'F3.png', 'f10.png']);
});

for (const decoder of ['sharp', 'pure-js'] as const) {
  t.test(`${decoder}: a PNG directory decodes in natural order, pixel-exact against ffmpeg`, async (t) => {
    const frames = await lastValueFrom(fromImages(pngDir, { decoder, fps: 25 }).pipe(toArray()));
    t.equal(frames.length, 12, 'only the image files');
    t.same([frames[0]!.width, frames[0]!.height, frames[0]!.channels], [48, 36, 3]);
    t.same(frames.map((frame) => frame.timestamp).slice(0, 3), [0, 40, 80]);
    const inOrder = Array.from({ length: 12 }, (_, i) => join(pngDir, `frame${i + 1}.png`));
    const reference = Buffer.concat(inOrder.map((path) => referenceDecode(path, 'rgb24')));
    t.ok(bytesOf(frames).equals(reference), 'frame1..frame12 in that order, same pixels as ffmpeg');

    const rgba = await lastValueFrom(fromImages(inOrder.slice(0, 1), { decoder, pixelFormat: 'rgba' }));
    t.equal(rgba.channels, 4);
    t.ok(Buffer.from(rgba.data).equals(referenceDecode(inOrder[0]!, 'rgba')));
    const gray = await lastValueFrom(fromImages(inOrder.slice(0, 1), { decoder, pixelFormat: 'gray' }));
    // ffmpeg's rgb→gray uses BT.601 with limited-range rounding differences: a few levels at most.
    t.ok(meanAbsDiff(gray.data, referenceDecode(inOrder[0]!, 'gray')) < 2.5, 'gray close to ffmpeg');
  });

  t.test(`${decoder}: JPEG sequence`, async (t) => {
    const frames = await lastValueFrom(fromImages(jpgDir, { decoder }).pipe(toArray()));
    t.equal(frames.length, 3);
    const reference = Buffer.concat([1, 2, 3].map((n) => referenceDecode(join(jpgDir, `frame${n}.jpg`), 'rgb24')));
    t.ok(meanAbsDiff(bytesOf(frames), reference) < 3, `within JPEG decoder (IDCT, upsampling) differences: ${meanAbsDiff(bytesOf(frames), reference).toFixed(2)}`);
  });
}

t.test('sharp and pure-js agree exactly on PNG', async (t) => {
  const [viaSharp, viaJs] = await Promise.all(
    (['sharp', 'pure-js'] as const).map((decoder) => lastValueFrom(fromImages(pngDir, { decoder, pixelFormat: 'gray' }).pipe(toArray()))),
  );
  t.equal(maxAbsDiff(bytesOf(viaSharp!), bytesOf(viaJs!)), 0);
});

t.test('pulled: files are read one at a time', async (t) => {
  const frames = await lastValueFrom(fromImages(pngDir).pipe(take(2), toArray()));
  t.equal(frames.length, 2);
});

t.test('bad input is reported', async (t) => {
  const broken = join(dir, 'broken');
  mkdirSync(broken);
  writeFileSync(join(broken, 'a.png'), 'definitely not a png');
  const empty = join(dir, 'empty');
  mkdirSync(empty);
  const cases: Array<[string | string[], Parameters<typeof fromImages>[1], RegExp]> = [
    [broken, { decoder: 'pure-js' }, /cannot decode '.*a\.png' \(neither a PNG nor a JPEG signature\): expected a PNG or JPEG file/],
    [broken, { decoder: 'sharp' }, /cannot decode '.*a\.png' .*expected a PNG or JPEG file/],
    [empty, {}, /holds no \.png, \.jpg or \.jpeg files/],
    [join(dir, 'missing'), {}, /cannot list '.*missing' \(ENOENT\)/],
    [[join(dir, 'missing.png')], {}, /cannot read '.*missing\.png' \(ENOENT\): expected a readable PNG or JPEG file/],
    [pngDir, { pixelFormat: 'bgr' as 'gray' }, /unsupported pixelFormat 'bgr'/],
  ];
  for (const [input, options, message] of cases) {
    const error = await lastValueFrom(fromImages(input, options)).then(() => new Error('no error'), (e: Error) => e);
    t.match(error.message, message, message.source);
  }
});
