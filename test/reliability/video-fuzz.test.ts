// Cut and byte-flipped videos of every container: a cut file must never complete as a silent short
// clip, a damaged one must end in frames or a clean error, and no case may hang or leave ffmpeg
// running.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { lastValueFrom, toArray } from 'rxjs';
import t from 'tap';
import { fromVideoFile } from '../../src/sources/video-file.js';
import { TruncatedVideoError } from '../../src/sources/ffmpeg-integrity.js';
import { CLIP_FORMATS, testClip } from '../helpers/ffmpeg-clips.js';
import { prng } from '../helpers/random.js';
import { tempDir, waitUntilGone } from '../sources/helpers.js';
import { SCALE, withinTime } from './scale.js';

const dir = tempDir(t);
const FRAMES = 60;
const formats = Object.keys(CLIP_FORMATS);

type Outcome = { kind: 'error'; error: Error; frames: number } | { kind: 'complete'; frames: number };

async function decode(path: string): Promise<{ outcome: Outcome; pid: number }> {
  let pid = 0;
  let frames = 0;
  const outcome = await lastValueFrom(fromVideoFile(path, { pixelFormat: 'gray', onProcess: (p) => (pid = p) }).pipe(toArray())).then(
    (list): Outcome => ({ kind: 'complete', frames: list.length }),
    (error: Error): Outcome => ({ kind: 'error', error, frames }),
  );
  frames = outcome.frames;
  return { outcome, pid };
}

const sources = new Map(formats.map((format) => [format, readFileSync(testClip(join(dir, `source.${format}`), { frames: FRAMES, codecArgs: CLIP_FORMATS[format]! }))]));

t.test(`${SCALE.truncations} random cuts over ${formats.length} containers: no silent short clip`, async (t) => {
  const random = prng(60);
  const silent: string[] = [];
  const byKind: Record<string, number> = { truncated: 0, 'could not decode': 0, other: 0 };
  for (let k = 0; k < SCALE.truncations; k++) {
    const format = formats[k % formats.length]!;
    const whole = sources.get(format)!;
    const cut = Math.floor(whole.length * (0.05 + 0.9 * random()));
    const path = join(dir, `cut-${k}.${format}`);
    writeFileSync(path, whole.subarray(0, cut));
    const { outcome, pid } = await withinTime(decode(path), 30_000, `${format} cut at ${cut} of ${whole.length}`);
    if (outcome.kind === 'complete') silent.push(`${format} cut at ${cut} of ${whole.length} bytes: completed with ${outcome.frames} of ${FRAMES} frames`);
    else if (outcome.error instanceof TruncatedVideoError) byKind.truncated!++;
    else if (/could not decode/.test(outcome.error.message)) byKind['could not decode']!++;
    else byKind.other!++;
    if (pid) t.ok(await waitUntilGone(pid), `ffmpeg ${pid} is gone after case ${k}`);
  }
  t.same(silent, [], 'every cut file errored');
  t.comment(`truncations: ${SCALE.truncations} cuts (${formats.join(', ')}): ${silent.length} silent short clips; errors: ${JSON.stringify(byKind)}`);
});

t.test(`${SCALE.byteFlips} byte-flipped videos end in frames or a clean error, without hanging`, async (t) => {
  const random = prng(61);
  const outcomes: Record<string, number> = { complete: 0, truncatedOrDamaged: 0, couldNotDecode: 0, other: 0 };
  for (let k = 0; k < SCALE.byteFlips; k++) {
    const format = formats[k % formats.length]!;
    const bytes = Buffer.from(sources.get(format)!);
    const flips = 1 + Math.floor(random() * 20);
    for (let f = 0; f < flips; f++) bytes[Math.floor(bytes.length * (0.1 + 0.8 * random()))] ^= 1 << Math.floor(random() * 8);
    const path = join(dir, `flip-${k}.${format}`);
    writeFileSync(path, bytes);
    const { outcome, pid } = await withinTime(decode(path), 30_000, `${format} with ${flips} flipped bits`);
    if (outcome.kind === 'complete') outcomes.complete!++;
    else if (outcome.error instanceof TruncatedVideoError) outcomes.truncatedOrDamaged!++;
    else if (/could not decode/.test(outcome.error.message)) outcomes.couldNotDecode!++;
    else {
      outcomes.other!++;
      t.fail(`${format} with ${flips} flipped bits: unexpected error ${outcome.error.message}`);
    }
    if (pid) t.ok(await waitUntilGone(pid), `ffmpeg ${pid} is gone after case ${k}`);
  }
  t.comment(`byte flips: ${SCALE.byteFlips} damaged files: ${JSON.stringify(outcomes)}`);
});
