// Files and streams that cannot be read say why: the file (missing, unreadable, a directory), the
// format (a missing FRAME line, an impossible frame rate), or the stream (a chunk that is not bytes).
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { lastValueFrom, toArray } from 'rxjs';
import t from 'tap';
import { fromReadableStream } from '../../src/sources/readable-stream.js';
import { fromY4M } from '../../src/sources/y4m.js';
import { tempDir } from './helpers.js';

const dir = tempDir(t);
const header = 'YUV4MPEG2 W4 H4 F25:1 C420jpeg\n';
const frameBytes = 4 * 4 + 2 * 2 * 2;
const errorOf = (path: string) => lastValueFrom(fromY4M(path).pipe(toArray())).then(() => undefined, (e: Error) => e);

t.test('Y4M: a frame without its FRAME line names the missing line, not a byte count', async (t) => {
  const path = join(dir, 'noframe.y4m');
  writeFileSync(path, Buffer.concat([Buffer.from(header), Buffer.alloc(frameBytes, 0x80)]));
  t.match((await errorOf(path))?.message, /^Y4M frame 0: expected a "FRAME" line, found 24 bytes without a line end before the input ended$/);
  const second = join(dir, 'second.y4m');
  writeFileSync(second, Buffer.concat([Buffer.from(header + 'FRAME\n'), Buffer.alloc(frameBytes, 0x80), Buffer.alloc(frameBytes, 0x80)]));
  t.match((await errorOf(second))?.message, /^Y4M frame 1: expected a "FRAME" line, found 24 bytes without a line end/);
});

t.test('Y4M: a file that cannot be read says so, with its path and the reason', async (t) => {
  const folder = join(dir, 'folder.y4m');
  mkdirSync(folder);
  t.match((await errorOf(folder))?.message, /^cannot open Y4M file '.*folder\.y4m' \(EISDIR: .*\): expected a readable file$/);
  t.match((await errorOf(join(dir, 'missing.y4m')))?.message, /^cannot open Y4M file '.*missing\.y4m' \(ENOENT: /);
  if (process.getuid?.() === 0) {
    t.comment('running as root: permission bits do not stop reads, so EACCES is not tested');
    return;
  }
  const locked = join(dir, 'locked.y4m');
  writeFileSync(locked, header);
  chmodSync(locked, 0);
  t.match((await errorOf(locked))?.message, /^cannot open Y4M file '.*locked\.y4m' \(EACCES: /);
});

t.test('Y4M: frame rates must be integers that keep every timestamp finite', async (t) => {
  for (const rate of ['F1:1e308', 'F0:1', 'F25:0', 'F2.5:1', 'F25', 'F-1:1']) {
    const path = join(dir, `rate-${rate.replace(/[^0-9a-z]/gi, '_')}.y4m`);
    writeFileSync(path, Buffer.concat([Buffer.from(`YUV4MPEG2 W4 H4 ${rate} C420jpeg\nFRAME\n`), Buffer.alloc(frameBytes)]));
    t.match((await errorOf(path))?.message, new RegExp(`invalid frame rate ${rate}: expected F<num>:<den>, integers from 1 to 2147483647`), rate);
  }
  const slow = join(dir, 'slow.y4m');
  writeFileSync(slow, Buffer.concat([Buffer.from('YUV4MPEG2 W4 H4 F1:2147483647 C420jpeg\n'), ...[0, 1].flatMap(() => [Buffer.from('FRAME\n'), Buffer.alloc(frameBytes)])]));
  const frames = await lastValueFrom(fromY4M(slow).pipe(toArray()));
  t.ok(frames.every((f) => Number.isFinite(f.timestamp)), 'the slowest rate still gives finite timestamps');
});

t.test('fromReadableStream: a chunk that is not bytes is named as such, not as a stream that ended', async (t) => {
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue('not bytes' as unknown as Uint8Array);
      controller.close();
    },
  });
  const error = await lastValueFrom(fromReadableStream(stream, { width: 2, height: 2, channels: 1 })).then(() => undefined, (e: Error) => e);
  t.match(error?.message, /^fromReadableStream: frame 0: expected the stream to yield Uint8Array chunks, got string$/);
  t.notMatch(error?.message, /ended/);
});
