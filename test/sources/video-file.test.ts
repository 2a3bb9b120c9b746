import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { firstValueFrom, lastValueFrom, take, tap, toArray } from 'rxjs';
import { fromVideoFile } from '../../src/sources/video-file.js';
import { resolveFfmpeg } from '../../src/sources/ffmpeg.js';
import type { Frame } from '../../src/types.js';
import {
  REAL_VIDEOS_DIR, TEST_FFMPEG, blockFor, ffmpeg, ffprobeMissing, generateClip, meanAbsDiff, probeTimestamps, realVideosMissing, referenceDecode, sleep, tempDir, waitUntilGone,
} from './helpers.js';

const dir = tempDir(t);
const mp4 = generateClip(join(dir, 'clip.mp4'), { frames: 30, codecArgs: ['-c:v', 'libx264', '-pix_fmt', 'yuv420p'] });
const big = generateClip(join(dir, 'big.mp4'), { size: '640x480', frames: 60, codecArgs: ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p'] });

function concatData(frames: Frame[]): Buffer {
  return Buffer.concat(frames.map((frame) => frame.data));
}

t.test('decodes every frame of a generated mp4, byte-identical to ffmpeg decoding it directly', async (t) => {
  const frames = await lastValueFrom(fromVideoFile(mp4, { ffmpegPath: TEST_FFMPEG.path }).pipe(toArray()));
  t.equal(frames.length, 30);
  t.same(frames.map((frame) => frame.index), [...Array(30).keys()]);
  t.same(frames.map((frame) => frame.timestamp), frames.map((_, i) => i * 40));
  t.same([frames[0]!.width, frames[0]!.height, frames[0]!.channels], [160, 120, 3]);
  t.ok(concatData(frames).equals(referenceDecode(mp4, 'rgb24')), 'same bytes as ffmpeg -pix_fmt rgb24');
});

t.test('other containers and codecs: webm/vp8, avi/mpeg4, mov/mjpeg, mpg/mpeg2', async (t) => {
  const variants: Array<[string, string[]]> = [
    ['clip.webm', ['-c:v', 'libvpx', '-b:v', '200k']],
    ['clip.avi', ['-c:v', 'mpeg4']],
    ['clip.mov', ['-c:v', 'mjpeg']],
    ['clip.mpg', ['-c:v', 'mpeg2video']],
  ];
  for (const [name, codecArgs] of variants) {
    const path = generateClip(join(dir, name), { frames: 10, codecArgs });
    const frames = await lastValueFrom(fromVideoFile(path, { pixelFormat: 'gray' }).pipe(toArray()));
    t.equal(frames.length, 10, `${name}: 10 frames`);
    t.ok(concatData(frames).equals(referenceDecode(path, 'gray')), `${name}: same bytes as ffmpeg's own decode`);
  }
});

t.test('scales, converts the pixel format, resamples and cuts', async (t) => {
  const gray = await lastValueFrom(fromVideoFile(mp4, { width: 80, height: 60, pixelFormat: 'gray' }).pipe(toArray()));
  t.same([gray.length, gray[0]!.width, gray[0]!.height, gray[0]!.channels, gray[0]!.data.length], [30, 80, 60, 1, 4800]);
  t.ok(concatData(gray).equals(referenceDecode(mp4, 'gray', ['-vf', 'scale=80:60'])), 'same bytes as ffmpeg scale + gray');

  const rgba = await firstValueFrom(fromVideoFile(mp4, { width: 40, pixelFormat: 'rgba' }));
  t.same([rgba.width, rgba.height, rgba.channels], [40, 30, 4], 'height follows the aspect ratio');

  const resampled = await lastValueFrom(fromVideoFile(mp4, { fps: 10 }).pipe(toArray()));
  t.equal(resampled.length, 12, '1.2 s at 10 fps');
  t.same(resampled.slice(0, 3).map((frame) => frame.timestamp), [0, 100, 200]);

  const cut = await lastValueFrom(fromVideoFile(mp4, { startMs: 400, endMs: 800 }).pipe(toArray()));
  t.equal(cut.length, 10, 'frames in [400, 800) ms');
  t.equal(cut[0]!.timestamp, 400, 'timestamps stay those of the video');
  t.equal(cut[0]!.index, 0, 'index counts emitted frames');
  const full = await lastValueFrom(fromVideoFile(mp4).pipe(toArray()));
  t.ok(Buffer.from(cut[0]!.data).equals(Buffer.from(full[10]!.data)), 'the first frame after the seek is frame 10');
});

t.test('variable frame rate: timestamps are the real presentation times', async (t) => {
  // Frames 0-4 every 100 ms, then a 1 s pause, then every 100 ms again.
  const vfr = join(dir, 'vfr.mkv');
  ffmpeg(['-f', 'lavfi', '-i', 'testsrc=size=64x48:rate=10', '-frames:v', '10', '-vf', 'setpts=(N*0.1+gte(N\\,5)*1)/TB', ...TEST_FFMPEG.passthroughArgs, '-c:v', 'ffv1', vfr]);
  const frames = await lastValueFrom(fromVideoFile(vfr).pipe(toArray()));
  const timestamps = frames.map((frame) => Math.round(frame.timestamp));
  t.same(timestamps.slice(0, 6), [0, 100, 200, 300, 400, 1500]);
  t.test('the same as ffprobe reports', { skip: ffprobeMissing }, async (t) => {
    t.same(timestamps, probeTimestamps(vfr));
  });
  t.test('GIF frame delays as ffprobe reports them', { skip: ffprobeMissing || realVideosMissing }, async (t) => {
    const gif = join(REAL_VIDEOS_DIR, 'face-demographics-walking.gif');
    const gifFrames = await lastValueFrom(fromVideoFile(gif, { width: 48, pixelFormat: 'gray' }).pipe(toArray()));
    t.same(gifFrames.map((frame) => Math.round(frame.timestamp)), probeTimestamps(gif));
  });
});

const installerPath = ((): string | undefined => {
  try {
    return createRequire(import.meta.url)('@ffmpeg-installer/ffmpeg').path;
  } catch {
    return undefined;
  }
})();

t.test('the static ffmpeg 4.1 of @ffmpeg-installer (old -vsync flag) decodes the same bytes', { skip: !installerPath && '@ffmpeg-installer/ffmpeg is not installed' }, async (t) => {
  t.same((await resolveFfmpeg(installerPath!)).passthroughArgs, ['-vsync', '0']);
  const frames = await lastValueFrom(fromVideoFile(mp4, { ffmpegPath: installerPath!, pixelFormat: 'gray' }).pipe(toArray()));
  t.equal(frames.length, 30);
  t.ok(concatData(frames).equals(referenceDecode(mp4, 'gray')));
});

t.test('take(n), unsubscribe, errors and completion all leave no ffmpeg process behind', async (t) => {
  let pid = 0;
  const onProcess = (started: number) => (pid = started);
  const two = await lastValueFrom(fromVideoFile(big, { onProcess }).pipe(take(2), toArray()));
  t.equal(two.length, 2);
  t.ok(await waitUntilGone(pid), `ffmpeg ${pid} is gone after take(2)`);

  pid = 0;
  const running = fromVideoFile(big, { onProcess }).subscribe();
  while (pid === 0) await sleep(10);
  running.unsubscribe();
  t.ok(await waitUntilGone(pid), 'gone after unsubscribe mid-stream');

  const truncated = join(dir, 'truncated.mp4');
  const faststart = join(dir, 'faststart.mp4');
  generateClip(faststart, { frames: 30, codecArgs: ['-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-movflags', '+faststart'] });
  writeFileSync(truncated, readFileSync(faststart).subarray(0, Math.floor(readFileSync(faststart).length / 2)));
  pid = 0;
  const frames: Frame[] = [];
  const error = await new Promise<Error>((resolve) => fromVideoFile(truncated, { onProcess }).subscribe({ next: (f) => frames.push(f), error: resolve, complete: () => resolve(new Error('completed')) }));
  t.match(error.message, /'.*truncated\.mp4' is truncated or damaged: ffmpeg reported ".*corrupt input packet/);
  t.ok(frames.length < 30, `a truncated file emits its ${frames.length} readable frames, then an error`);
  t.ok(await waitUntilGone(pid), 'gone after an error');

  pid = 0;
  await lastValueFrom(fromVideoFile(mp4, { onProcess }));
  t.ok(await waitUntilGone(pid), 'gone after completion');
});

t.test('pulled: a slow consumer makes ffmpeg wait, so only a few frames are ever buffered', { skip: process.platform !== 'linux' && 'needs /proc/<pid>/io' }, async (t) => {
  let pid = 0;
  const frameBytes = 640 * 480 * 3;
  const writtenFrames = () => Number(/wchar: (\d+)/.exec(readFileSync(`/proc/${pid}/io`, 'utf8'))![1]) / frameBytes;
  const ahead: number[] = [];
  await lastValueFrom(
    fromVideoFile(big, { onProcess: (started) => (pid = started) }).pipe(
      take(12),
      // The consumer blocks like a slow synchronous layer; ffmpeg meanwhile can only fill the pipe.
      tap((frame) => {
        blockFor(60);
        ahead.push(writtenFrames() - (frame.index + 1));
      }),
    ),
  );
  const worst = Math.max(...ahead);
  t.ok(worst < 3, `ffmpeg wrote at most ${worst.toFixed(2)} frames beyond those consumed (60 in the file)`);
});

t.test('bad input gives an error that says what was wrong and what was expected', async (t) => {
  const notVideo = join(dir, 'notes.mp4');
  writeFileSync(notVideo, 'these are not the frames you are looking for\n');
  const cases: Array<[string, Parameters<typeof fromVideoFile>[1], RegExp]> = [
    [join(dir, 'missing.mp4'), {}, /cannot be opened \(ENOENT\): expected an existing, readable file/],
    [dir, {}, /is not a file: expected a video file/],
    [notVideo, {}, /ffmpeg could not decode .*Invalid data found when processing input.*expected a complete video/],
    [mp4, { ffmpegPath: join(dir, 'no-such-ffmpeg') }, /cannot start ffmpeg at .*no-such-ffmpeg' \(no such file\): expected the path of an ffmpeg executable/],
    [mp4, { ffmpegPath: notVideo }, /cannot start ffmpeg .*(not executable|EACCES)/],
    [mp4, { pixelFormat: 'yuv420p' as 'gray' }, /unsupported pixelFormat 'yuv420p': expected 'rgb24', 'gray' or 'rgba'/],
    [mp4, { width: -3 }, /width must be a positive integer, got -3/],
    [mp4, { startMs: 500, endMs: 100 }, /endMs must be a number greater than startMs/],
  ];
  for (const [path, options, message] of cases) {
    const error = await lastValueFrom(fromVideoFile(path, options)).then(() => new Error('no error'), (e: Error) => e);
    t.match(error.message, message, message.source);
  }
});

t.test('cold: nothing starts before subscribe', async (t) => {
  let started = false;
  const source = fromVideoFile(mp4, { onProcess: () => (started = true) });
  await sleep(200);
  t.notOk(started);
  await firstValueFrom(source);
  t.ok(started);
});

t.test('real clips: frame count, size, and consecutive frames differ little', { skip: realVideosMissing }, async (t) => {
  const clips: Array<[string, number, number, number]> = [
    ['face-demographics-walking.gif', 35, 480, 270],
    ['head-pose-face-detection-female.gif', 23, 480, 270],
    ['car-detection.mp4', 377, 768, 432],
    ['bottle-detection.mp4', 1189, 640, 360],
    ['one-by-one-person-detection.mp4', 1394, 768, 432],
  ];
  for (const [name, count, width, height] of clips) {
    const path = join(REAL_VIDEOS_DIR, name);
    const first = await firstValueFrom(fromVideoFile(path));
    t.same([first.width, first.height, first.channels], [width, height, 3], `${name}: native size`);
    let frames = 0;
    let previous: Frame | undefined;
    let worstChange = 0;
    let lastTimestamp = -1;
    let monotonic = true;
    // Gray at quarter size keeps the long clips fast; the change measure is about motion, not detail.
    const small = fromVideoFile(path, { width: width / 4, pixelFormat: 'gray' });
    await new Promise<void>((resolve, reject) =>
      small.subscribe({
        next: (frame) => {
          frames++;
          if (frame.timestamp <= lastTimestamp) monotonic = false;
          lastTimestamp = frame.timestamp;
          if (previous) worstChange = Math.max(worstChange, meanAbsDiff(previous.data, frame.data));
          previous = frame;
        },
        error: reject,
        complete: resolve,
      }),
    );
    t.equal(frames, count, `${name}: ${count} frames`);
    t.ok(monotonic, `${name}: timestamps increase`);
    t.ok(worstChange < 20, `${name}: consecutive frames differ by at most ${worstChange.toFixed(2)} grey levels on average`);
  }
});
