// Image bombs: a few hundred bytes that declare 20000 x 20000 pixels are refused from their header,
// before any decoder allocates, with the pure-JS decoders as with sharp.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { lastValueFrom, toArray } from 'rxjs';
import t from 'tap';
import { fromImages } from '../../src/sources/images.js';
import { declaredImageSize } from '../../src/sources/image-size.js';
import { jpegBomb, pngBomb } from '../helpers/image-bombs.js';
import { tempDir } from './helpers.js';

const dir = tempDir(t);
const write = (name: string, bytes: Uint8Array) => {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
};

t.test('the declared size is read from PNG and JPEG headers', async (t) => {
  t.same(declaredImageSize(pngBomb(20000, 20000)), { format: 'png', width: 20000, height: 20000 });
  t.same(declaredImageSize(jpegBomb(30000, 20000)), { format: 'jpeg', width: 30000, height: 20000 });
  t.match(declaredImageSize(Buffer.from('GIF89a')), /neither a PNG nor a JPEG/);
  t.match(declaredImageSize(pngBomb(4, 4).subarray(0, 20)), /PNG ends after 20 bytes, before its IHDR chunk/);
});

for (const decoder of ['pure-js', 'auto'] as const) {
  t.test(`${decoder}: PNG and JPEG bombs are refused before decoding, naming the file and the limit`, async (t) => {
    for (const [name, bytes, pixels] of [['bomb.png', pngBomb(20000, 20000), 400000000], ['bomb.jpg', jpegBomb(20000, 20000), 400000000]] as const) {
      const path = write(`${decoder}-${name}`, bytes);
      const rssBefore = process.memoryUsage().rss;
      const started = performance.now();
      const error = await lastValueFrom(fromImages([path], { decoder })).then(() => undefined, (e: Error) => e);
      const elapsed = performance.now() - started;
      t.match(error?.message, new RegExp(`fromImages: '.*${name}' declares a 20000×20000 (PNG|JPEG) \\(${pixels} pixels\\), more than maxPixels = 67108864: refused before decoding`));
      t.ok(elapsed < 1000, `refused in ${elapsed.toFixed(0)} ms`);
      t.ok(process.memoryUsage().rss - rssBefore < 64 * 1024 * 1024, 'without allocating the declared pixels');
    }
    // The limit is an option: a small image over a tiny limit is refused, under it decoded.
    const small = write(`${decoder}-small.png`, pngBomb(8, 4, 4));
    t.match(((await lastValueFrom(fromImages([small], { decoder, maxPixels: 31 })).catch((e: Error) => e)) as Error).message, /8×4 PNG \(32 pixels\), more than maxPixels = 31/);
    const frames = await lastValueFrom(fromImages([small], { decoder, maxPixels: 32 }).pipe(toArray()));
    t.same([frames[0]!.width, frames[0]!.height], [8, 4]);
  });
}

t.test('maxPixels must be a positive integer', async (t) => {
  const error = await lastValueFrom(fromImages([join(dir, 'none.png')], { maxPixels: 0 })).catch((e: Error) => e);
  t.match((error as Error).message, /fromImages: maxPixels must be an integer ≥ 1, got 0/);
});
