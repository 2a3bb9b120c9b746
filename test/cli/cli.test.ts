// The rx-rrm command as a user runs it: on a small model written by the test and a clip generated
// by ffmpeg, with every claim it prints checked against the dense path or the files it wrote.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { cli } from '../helpers/run-cli.js';
import { ffmpeg, referenceDecode } from '../helpers/ffmpeg.js';
import { buildModel, weights } from '../helpers/onnx-builder.js';
import { prng } from '../helpers/random.js';
import { modelPath, needsSharedData, videoPath } from '../helpers/shared-data.js';
import { torchExportPath, torchModelsMissing } from '../helpers/torch-models.js';

const root = new URL('../../', import.meta.url);
const dir = mkdtempSync(join(tmpdir(), 'rx-rrm-cli-'));
const random = prng(5);

const model = join(dir, 'small.onnx');
writeFileSync(
  model,
  buildModel({
    input: { name: 'image', dims: [1, 3, 48, 64] },
    outputs: ['logits'],
    nodes: [
      { op: 'Conv', inputs: ['image', 'w1', 'b1'], outputs: ['c1'], attributes: { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [2, 2] } },
      { op: 'Relu', inputs: ['c1'], outputs: ['r1'] },
      { op: 'Conv', inputs: ['r1', 'w2'], outputs: ['c2'], attributes: { kernel_shape: [3, 3], pads: [1, 1, 1, 1], group: 8 } },
      { op: 'Relu', inputs: ['c2'], outputs: ['r2'] },
      { op: 'GlobalAveragePool', inputs: ['r2'], outputs: ['pooled'] },
      { op: 'Flatten', inputs: ['pooled'], outputs: ['flat'] },
      { op: 'Gemm', inputs: ['flat', 'w3', 'b3'], outputs: ['logits'], attributes: { transB: 1 } },
    ],
    initializers: { w1: weights(random, [8, 3, 3, 3]), b1: weights(random, [8]), w2: weights(random, [8, 1, 3, 3]), w3: weights(random, [5, 8]), b3: weights(random, [5]) },
  }),
);
const unsupported = join(dir, 'unsupported.onnx');
writeFileSync(unsupported, buildModel({ input: { name: 'x', dims: [1, 3, 8, 8] }, outputs: ['y'], nodes: [{ op: 'Einsum', inputs: ['x'], outputs: ['y'], name: 'squash', attributes: { equation: 'nchw->nhwc' } }] }));
const clip = join(dir, 'clip.mp4');
ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=size=128x96:rate=10:duration=3', '-pix_fmt', 'yuv420p', clip]);

t.test('inspect lists inputs, outputs, operators and multiply-adds per layer', async (t) => {
  const { status, stdout } = await cli('inspect', '--model', model);
  t.equal(status, 0);
  t.match(stdout, /input\s+image \[1, 3, 48, 64\]/);
  t.match(stdout, /Conv\s+x2\s+supported/);
  // 3x3 conv 3->8, stride 2 on 48x64 -> 24x32 outputs: 24*32*8*27 multiply-adds.
  t.match(stdout, new RegExp(`${((24 * 32 * 8 * 27) / 1e6).toFixed(2)} M`));
  const bad = await cli('inspect', '--model', unsupported);
  t.equal(bad.status, 1);
  t.match(bad.stdout, /Einsum\s+x1\s+NOT SUPPORTED/);
});

t.test('run --compare-dense --json --plot on a generated clip', async (t) => {
  const json = join(dir, 'run.json');
  const plot = join(dir, 'activity.png');
  const { status, stdout, stderr } = await cli('run', '--model', model, '--input', clip, '--compare-dense', '--json', json, '--plot', plot, '--backend', 'js');
  t.equal(status, 0, stderr);
  t.match(stdout, /frames\s+30/);
  t.match(stdout, /frames\/s\s+[\d.]+ \(dense path [\d.]+: [\d.]+x\)/);
  t.match(stdout, /keyframes\s+1/);
  t.match(stdout, /input\s+128x96 frames letterboxed \(aspect ratio kept, black bars; --stretch to stretch\) to 64x48 \(the model's input\)/);
  t.match(stdout, /no known detection decoder for this model/);
  const record = JSON.parse(readFileSync(json, 'utf8'));
  t.equal(record.schema, 'rx-rrm-run/1');
  t.equal(record.frames.length, 30);
  t.same(record.frames.map((f: { keyframe: boolean }) => f.keyframe), [true, ...Array(29).fill(false)], 'the first frame is the keyframe');
  t.same(record.layers.map((l: { name: string }) => l.name), ['toTensor', 'conv0', 'conv2', 'globalaveragepool4', 'gemm6']);
  const worst = Math.max(...record.frames.map((f: { deviation: { logits: number } }) => f.deviation.logits));
  t.ok(worst < 1e-4, `exact run deviates ${worst} from the dense path`);
  t.same(record.frames[0].dense, [0, 1, 2, 3, 4], 'on the keyframe every layer computed densely');
  t.ok(!record.frames[5].dense.includes(1), 'delta frames take the sparse path');
  t.ok(record.frames[5].macs[1] < record.layers[1].denseMacs, 'and do fewer multiply-adds than dense');
  const bytesPerFrame = readFileSync(json).length / 30;
  t.ok(bytesPerFrame < 600, `${bytesPerFrame.toFixed(0)} bytes per frame for 5 layers`);
  const png = readFileSync(plot);
  t.same([...png.subarray(1, 4)].map((c) => String.fromCharCode(c)).join(''), 'PNG');
  t.ok(png.readUInt32BE(16) >= 500 && png.readUInt32BE(20) > 200, 'a plot-sized image');
});

t.test('run --threads 2: the frame pipeline, every layer doing what it does on one thread, frames/s over the whole run', async (t) => {
  const outputs = async (threads: string) => {
    const json = join(dir, `threads-${threads}.json`);
    const { status, stdout, stderr } = await cli('run', '--model', model, '--input', clip, '--threshold', '0.02', '--threads', threads, '--json', json);
    t.equal(status, 0, stderr);
    return { stdout, stderr, frames: JSON.parse(readFileSync(json, 'utf8')).frames as { macs: number[]; dense: number[] }[] };
  };
  const one = await outputs('1');
  const two = await outputs('2');
  t.match(two.stderr, /kernels on 2 threads \(frame pipeline\)/);
  t.match(two.stdout, /frames\/s over the whole run, [\d.]+ s with decoding: on two threads the layers' times overlap/);
  t.same(two.frames.map((f) => [f.macs, f.dense]), one.frames.map((f) => [f.macs, f.dense]), 'every layer did the same work on every frame');
});

t.test('--help for every command, --version, and --stretch said in the summary', async (t) => {
  const version = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')).version;
  t.equal((await cli('--version')).stdout.trim(), version);
  const installed = spawnSync(process.execPath, ['--loader', 'ts-node/esm', '--no-warnings', 'src/cli/main.ts', '--version'], { cwd: root, encoding: 'utf8' });
  t.same([installed.status, installed.stdout.trim()], [0, version], 'the executable itself');
  for (const command of ['run', 'tune', 'inspect']) {
    const help = await cli(command, '--help');
    t.equal(help.status, 0, `${command} --help exits 0`);
    t.match(help.stdout, new RegExp(`^rx-rrm ${command} --model`), `${command} --help prints its usage`);
  }
  const overview = await cli('--help');
  t.match(overview.stdout, /rx-rrm run[\s\S]*rx-rrm tune[\s\S]*rx-rrm inspect/);
  const stretched = await cli('run', '--model', model, '--input', clip, '--stretch', '--max-frames', '3', '--backend', 'js');
  t.equal(stretched.status, 0, stretched.stderr);
  // A video file is stretched by ffmpeg as it decodes; an image folder by preprocess.
  t.match(stretched.stdout, /64x48 frames \(stretched by ffmpeg to the model's input as decoded, --stretch\)/);
  const cut = await cli('run', '--model', model, '--input', clip, '--fps', '5', '--start', '1', '--end', '2', '--backend', 'js');
  t.equal(cut.status, 0, cut.stderr);
  t.match(cut.stdout, /frames\s+5\n/, '1 s of a 10 fps clip resampled to 5 fps');
});

t.test('tune writes per-layer thresholds that run --thresholds then honours', async (t) => {
  const thresholds = join(dir, 'thresholds.json');
  const tuned = await cli('tune', '--model', model, '--input', clip, '--max-deviation', '0.01', '--out', thresholds, '--frames', '20', '--backend', 'js');
  t.equal(tuned.status, 0, tuned.stderr);
  t.match(tuned.stdout, /calibration \(14 frames\): [\d.]+% of dense multiply-adds; max deviation of logits [\d.e+-]+ \(bound 0.01\)/);
  t.match(tuned.stdout, /held out    \(6 frames\): [\d.]+% of dense multiply-adds; max deviation of logits/);
  const file = JSON.parse(readFileSync(thresholds, 'utf8'));
  t.same([file.metric, file.calibration.frames, file.heldOut.frames], ['deviation', 14, 6]);
  t.ok(Object.values(file.thresholds).some((tau) => (tau as number) > 0), 'some layer got a threshold above 0');
  const json = join(dir, 'tuned.json');
  const run = await cli('run', '--model', model, '--input', clip, '--thresholds', thresholds, '--compare-dense', '--json', json, '--max-frames', '14', '--backend', 'js');
  t.equal(run.status, 0, run.stderr);
  const worst = Math.max(...JSON.parse(readFileSync(json, 'utf8')).frames.map((f: { deviation: { logits: number } }) => f.deviation.logits));
  t.ok(worst <= 0.01 + 1e-6, `the same clip at the tuned thresholds deviates ${worst}`);
});

t.test('tune --threshold-mode relative writes relative thresholds; run takes the mode from the file and rejects a contradicting flag', async (t) => {
  const thresholds = join(dir, 'relative.json');
  const tuned = await cli('tune', '--model', model, '--input', clip, '--max-deviation', '0.01', '--out', thresholds, '--frames', '20', '--backend', 'js', '--threshold-mode', 'relative');
  t.equal(tuned.status, 0, tuned.stderr);
  t.match(tuned.stdout, /relative thresholds/);
  const file = JSON.parse(readFileSync(thresholds, 'utf8'));
  t.equal(file.thresholdMode, 'relative');
  t.ok(Object.values(file.thresholds).some((tau) => (tau as number) > 0), 'some layer got a threshold above 0');
  const json = join(dir, 'relative-run.json');
  const run = await cli('run', '--model', model, '--input', clip, '--thresholds', thresholds, '--compare-dense', '--json', json, '--max-frames', '14', '--backend', 'js');
  t.equal(run.status, 0, run.stderr);
  const record = JSON.parse(readFileSync(json, 'utf8'));
  t.equal(record.thresholdMode, 'relative', 'run used the mode the thresholds were tuned in');
  const worst = Math.max(...record.frames.map((f: { deviation: { logits: number } }) => f.deviation.logits));
  t.ok(worst <= 0.01 + 1e-6, `the same clip at the tuned thresholds deviates ${worst}`);
  // The same thresholds read as absolute would mean something else: refuse rather than guess.
  const contradicting = await cli('run', '--model', model, '--input', clip, '--thresholds', thresholds, '--threshold-mode', 'absolute', '--max-frames', '3', '--backend', 'js');
  t.equal(contradicting.status, 1);
  t.match(contradicting.stderr, /--threshold-mode absolute: .*relative\.json holds relative thresholds/);
  // --threshold-mode relative with τ = 0 stays exact.
  const exactJson = join(dir, 'relative-exact.json');
  const exact = await cli('run', '--model', model, '--input', clip, '--threshold-mode', 'relative', '--compare-dense', '--json', exactJson, '--max-frames', '10', '--backend', 'js');
  t.equal(exact.status, 0, exact.stderr);
  const exactWorst = Math.max(...JSON.parse(readFileSync(exactJson, 'utf8')).frames.map((f: { deviation: { logits: number } }) => f.deviation.logits));
  t.ok(exactWorst < 1e-4, `relative τ = 0 deviates ${exactWorst}`);
});

t.test('mistakes print one clear line and exit non-zero, without a stack trace', async (t) => {
  const cases: [string[], RegExp][] = [
    [['run', '--model', join(dir, 'missing.onnx'), '--input', clip], /rx-rrm run: cannot read ONNX model .*missing\.onnx/],
    [['run', '--model', unsupported, '--input', clip], /Einsum.*squash/],
    [['run', '--model', model, '--input', join(dir, 'nope.mp4')], /--input .*nope\.mp4: no such file or folder/],
    [['run', '--model', model, '--input', 'tcp://127.0.0.1:1'], /rx-rrm run: .*(ECONNREFUSED|connect)/i],
    [['run', '--model', model, '--input', clip, '--size', 'big'], /--size big: expected WIDTHxHEIGHT/],
    [['run', '--model', model, '--input', clip, '--threads', '3'], /--threads 3: expected 1, 2 or auto/],
    [['run', '--model', model, '--input', clip, '--threshold-mode', 'relatve'], /--threshold-mode relatve: expected absolute or relative/],
    [['tune', '--model', model, '--input', clip, '--max-deviation', '0.01', '--out', join(dir, 'x.json'), '--threshold-mode', 'rel'], /--threshold-mode rel: expected absolute or relative/],
    [['frobnicate'], /unknown command 'frobnicate'/],
    [['run', '--model', model, '--input', clip, '--threshold', '-1'], /^rx-rrm run: --threshold -1: expected a threshold >= 0\n$/],
    [['run', '--model', model, '--input', clip, '--threshold', 'abc'], /^rx-rrm run: --threshold abc: expected a threshold >= 0\n$/],
    [['run', '--model', model, '--input', clip, '--max-frames', '-5'], /^rx-rrm run: --max-frames -5: expected a positive whole number\n$/],
    [['run', '--model', model, '--input', clip, '--fps', '0'], /--fps 0: expected a number of frames per second > 0/],
    [['run', '--model', model, '--input', clip, '--start', '2', '--end', '1'], /--end 1: expected a time in seconds after --start \(2\)/],
    [['run', '--model', model, '--input', clip, '--frobnicate'], /^rx-rrm run: Unknown option '--frobnicate' \(rx-rrm run --help lists the options\)\n$/],
    [['tune', '--model', model, '--input', clip, '--out', join(dir, 'x.json')], /--max-deviation is required with --metric deviation/],
    [['tune', '--model', model, '--input', clip, '--out', join(dir, 'x.json'), '--metric', 'detections'], /--metric detections needs a model whose detections rx-rrm decodes/],
  ];
  for (const [args, message] of cases) {
    const { status, stderr } = await cli(...args);
    t.not(status, 0, args.join(' '));
    t.match(stderr, message, args.join(' '));
    t.notMatch(stderr, /\n\s+at /, 'no stack trace');
  }
  t.match((await cli('run', '--model', join(dir, 'missing.onnx'), '--input', clip, '--verbose')).stderr, /\n\s+at /, '--verbose shows the stack');
});

t.test('run --overlay writes a video of the input size whose heat map sits where the input moved', async (t) => {
  const video = join(dir, 'overlay.mp4');
  const { status, stderr, stdout } = await cli('run', '--model', model, '--input', clip, '--overlay', video, '--backend', 'js', '--stretch');
  t.equal(status, 0, stderr);
  t.match(stdout, /overlay video: .*overlay\.mp4 \(layer conv0\)/);
  const rgbFrames = (file: string) => {
    const raw = referenceDecode(file, 'rgb24');
    return Array.from({ length: raw.length / (128 * 96 * 3) }, (_, k) => raw.subarray(k * 128 * 96 * 3, (k + 1) * 128 * 96 * 3));
  };
  const input = rgbFrames(clip);
  const overlay = rgbFrames(video);
  t.equal(referenceDecode(video, 'rgb24').length, 30 * 128 * 96 * 3, 'the size and frame count of the input clip');
  // Redness the overlay added (red up, green down) where the input changed since the previous frame and where it did not.
  let moved = 0;
  let movedCount = 0;
  let still = 0;
  let stillCount = 0;
  for (let k = 5; k < 30; k++) {
    for (let p = 0; p < 128 * 96; p++) {
      const changed = [0, 1, 2].some((c) => Math.abs(input[k]![p * 3 + c]! - input[k - 1]![p * 3 + c]!) > 40);
      const redness = overlay[k]![p * 3]! - input[k]![p * 3]! - (overlay[k]![p * 3 + 1]! - input[k]![p * 3 + 1]!);
      if (changed) (moved += redness), movedCount++;
      else (still += redness), stillCount++;
    }
  }
  t.ok(movedCount > 100, `${movedCount} moving pixels`);
  t.ok(moved / movedCount > 30 + still / stillCount, `overlay redness ${(moved / movedCount).toFixed(1)} where the input moved vs ${(still / stillCount).toFixed(1)} where it did not`);
});

const ultraface = modelPath('ultraface-slim-320.onnx');
const gif = videoPath('face-demographics-walking.gif');
t.test('a model with a known decoder: detections compared with the dense path, in the summary and the JSON', { skip: needsSharedData(ultraface, gif) }, async (t) => {
  const json = join(dir, 'faces.json');
  const { status, stdout, stderr } = await cli('run', '--model', ultraface, '--input', gif, '--mean', '127', '--scale', '0.0078125', '--max-frames', '8', '--compare-dense', '--json', json, '--trace');
  t.equal(status, 0, stderr);
  t.match(stdout, /input\s+480x270 frames letterboxed .* to 320x240/);
  t.match(stdout, /detections \(UltraFace\) agree with the dense path: 8 of 8 frames with the same faces/, 'τ = 0 is exact');
  const record = JSON.parse(readFileSync(json, 'utf8'));
  t.equal(record.decoder, 'UltraFace');
  t.equal(record.detectionAgreement.agree, true);
  const faces = record.frames.map((f: { detections: number[][] }) => f.detections.length);
  t.ok(faces.some((n: number) => n > 0), `faces found: ${faces.join(', ')}`);
  const [x1, y1, x2, y2, score] = record.frames.find((f: { detections: number[][] }) => f.detections.length > 0).detections[0];
  t.ok(x1 < x2 && y1 < y2 && score >= 0.7 && score <= 1, 'a box in model-input pixels with its score');
  t.equal(record.frames[0].trace.pixels, 'all', 'the keyframe traced as all pixels');
  t.ok(Array.isArray(record.frames[1].trace.pixels) || record.frames[1].dense.includes(1), 'a delta frame traced as pixel indices (unless dense)');
});

t.test('network stream URLs go to the network-stream source: one nothing serves fails after its retries, saying what ffmpeg could not open', async (t) => {
  const result = await cli('run', '--model', model, '--input', 'udp://127.0.0.1:9/none', '--max-frames', '1', '--backend', 'js');
  t.equal(result.status, 1);
  t.notMatch(result.stderr, /no such file or folder/, 'not taken for a file');
  t.match(result.stderr, /fromNetworkStream|network stream/);
});

t.test('--allow-truncated is accepted for video files', async (t) => {
  const { status, stderr } = await cli('run', '--model', model, '--input', clip, '--allow-truncated', '--max-frames', '3', '--backend', 'js');
  t.equal(status, 0, stderr);
});

const yolo = torchExportPath('yolo_anchor_free-op17.onnx');
t.test('a YOLO-style detector exported by PyTorch: its boxes and classes in the JSON, drawn in the overlay, compared with the dense path', { skip: torchModelsMissing }, async (t) => {
  const json = join(dir, 'yolo.json');
  const video = join(dir, 'yolo.mp4');
  const { status, stdout, stderr } = await cli('run', '--model', yolo, '--input', clip, '--max-frames', '6', '--compare-dense', '--json', json, '--overlay', video);
  t.equal(status, 0, stderr);
  t.match(stdout, /detections \(YOLO \(anchor-free\)\) agree with the dense path: 6 of 6 frames/, 'τ = 0 is exact');
  t.match(stdout, /overlay video: .*yolo\.mp4/);
  const record = JSON.parse(readFileSync(json, 'utf8'));
  t.equal(record.decoder, 'YOLO (anchor-free)');
  const boxes = record.frames.flatMap((f: { detections: number[][] }) => f.detections);
  t.ok(boxes.length > 0, `${boxes.length} boxes over 6 frames`);
  t.ok(boxes.every(([x1, y1, x2, y2, score, classId]: number[]) => x1! <= x2! && y1! <= y2! && score! >= 0.25 && Number.isInteger(classId) && classId! >= 0 && classId! < 4), 'boxes in model-input pixels, scores above the threshold, a class of the 4');
  t.equal(referenceDecode(video, 'rgb24').length, 6 * 128 * 96 * 3, 'the overlay has every frame');
});
