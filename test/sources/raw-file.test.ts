// fromRawFile: raw frames from a file through Deno's file API (@deno/shim-deno on Node).
import { firstValueFrom, take, toArray } from 'rxjs';
import t from 'tap';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromRawFile } from '../../src/sources/index.js';

const dir = mkdtempSync(join(tmpdir(), 'rx-rrm-raw-'));
const [width, height, channels] = [5, 3, 3] as const;
const frameBytes = width * height * channels;
const bytes = Uint8Array.from({ length: 4 * frameBytes }, (_, i) => (i * 7 + 3) % 256);
const path = join(dir, 'clip.rgb');
writeFileSync(path, bytes);

t.test('reads every frame, byte for byte, with its index and timestamps from fps', async (t) => {
  const frames = await firstValueFrom(fromRawFile(path, { width, height, channels, fps: 25 }).pipe(toArray()));
  t.equal(frames.length, 4);
  frames.forEach((frame, k) => {
    t.same(Array.from(frame.data), Array.from(bytes.subarray(k * frameBytes, (k + 1) * frameBytes)), `frame ${k}`);
    t.same([frame.index, frame.timestamp, frame.width, frame.height, frame.channels], [k, k * 40, width, height, channels]);
  });
});

t.test('a file cut inside a frame is an error, not a short clip', async (t) => {
  const cut = join(dir, 'cut.rgb');
  writeFileSync(cut, bytes.subarray(0, 2 * frameBytes + 7));
  await t.rejects(firstValueFrom(fromRawFile(cut, { width, height, channels }).pipe(toArray())), /inside frame 2/);
});

t.test('a missing file errors through the Observable, naming it', async (t) => {
  await t.rejects(firstValueFrom(fromRawFile(join(dir, 'absent.rgb'), { width, height, channels })), /fromRawFile: cannot open '.*absent\.rgb'/);
});

t.test('unsubscribing after the first frames closes the file', { skip: process.platform === 'linux' ? false : 'counts /proc/self/fd' }, async (t) => {
  const open = () => readdirSync('/proc/self/fd').length;
  const before = open();
  for (let i = 0; i < 20; i++) await firstValueFrom(fromRawFile(path, { width, height, channels }).pipe(take(1)));
  await new Promise((resolve) => setTimeout(resolve, 50));
  t.ok(open() <= before + 1, `descriptors before ${before}, after ${open()}`);
});
