// The delta path of the layers behind the new ONNX operators: for every input pixel of a small map,
// a change of that one pixel (with its change hint) must touch exactly the output pixels whose value
// depends on it, no more and no fewer, and give the same output as a fresh layer computing densely.
// "Depends on" is measured, not derived from the layer's own code: the output pixels where the dense
// outputs before and after the change differ.
import t, { type Test } from 'tap';
import { channelPermuteLayer, shuffleOrder } from '../../src/layers/channel-permute-layer.js';
import { ConvTransposeLayer } from '../../src/layers/conv-transpose-layer.js';
import { ElementwiseLayer } from '../../src/layers/elementwise-layer.js';
import type { Layer } from '../../src/layers/layer.js';
import { broadcastPair, CONCAT_CHANNELS, MergeLayer } from '../../src/layers/merge-layer.js';
import { padLayer, type PadMode } from '../../src/layers/pad-layer.js';
import { resizeLayer } from '../../src/layers/resize-layer.js';
import type { CoordinateMode, ResizeMode } from '../../src/layers/resize-taps.js';
import { sliceLayer } from '../../src/layers/slice-layer.js';
import { spaceDepthLayer } from '../../src/layers/space-depth-layer.js';
import { SpatialReduceLayer } from '../../src/layers/spatial-reduce-layer.js';
import type { FeatureMap } from '../../src/types.js';
import { featureMap, maxAbsDiff } from '../helpers/maps.js';
import { prng, randomArray } from '../helpers/random.js';

const random = prng(17);
const H = 5;
const W = 6;
const C = 4;

/** The map with pixel `p`'s channels moved by random amounts, hinting that only `p` changed since `before`. */
function changedAt(before: FeatureMap, p: number): FeatureMap {
  const data = before.data.slice();
  for (let c = 0; c < before.channels; c++) data[p * before.channels + c]! += 0.5 + random();
  return featureMap(data, before.height, before.width, before.channels, 1, { changes: { since: before.data, pixels: Int32Array.of(p) } });
}

/** Output pixels whose channels differ between two outputs of the same shape. */
function differing(a: FeatureMap, b: FeatureMap): number[] {
  const pixels: number[] = [];
  for (let p = 0; p < a.height * a.width; p++) {
    for (let c = 0; c < a.channels; c++) {
      if (a.data[p * a.channels + c] !== b.data[p * a.channels + c]) {
        pixels.push(p);
        break;
      }
    }
  }
  return pixels;
}

const sorted = (pixels: Int32Array | undefined) => Array.from(pixels ?? [], Number).sort((a, b) => a - b);

/**
 * Every pixel of an H x W x channels map changed in turn: touched = reached, output = dense (up to
 * `tolerance` for layers that accumulate differences instead of recomputing).
 */
function checkEveryPixel<S>(t: Test, label: string, layer: Layer<S>, options: { channels?: number; exact?: boolean; tolerance?: number } = {}): void {
  const { channels = C, exact = true, tolerance = 0 } = options;
  const before = featureMap(randomArray(random, H * W * channels), H, W, channels);
  let mismatches = 0;
  let wrongValues = 0;
  let touchedTotal = 0;
  for (let p = 0; p < H * W; p++) {
    const state = layer.createState();
    const first = layer.step(state, before);
    const firstCopy = { ...first, data: first.data.slice() };
    const after = changedAt(before, p);
    const delta = layer.step(state, after);
    const dense = layer.step(layer.createState(), { ...after, changes: undefined });
    const reached = differing(firstCopy, dense);
    const touched = sorted(delta.changes?.pixels);
    touchedTotal += touched.length;
    if (exact ? touched.join() !== reached.join() : !reached.every((o) => touched.includes(o))) mismatches++;
    if (maxAbsDiff(delta.data, dense.data) > tolerance) wrongValues++;
  }
  t.equal(mismatches, 0, `${label}: a change of each of the ${H * W} pixels touches ${exact ? 'exactly' : 'at least'} the outputs it reaches (${touchedTotal} touched in all)`);
  t.equal(wrongValues, 0, `${label}: the delta output equals a dense recompute${tolerance ? ` within ${tolerance}` : ''}`);
}

t.test('resize: nearest and bilinear, up and down, several coordinate transforms', async (t) => {
  const cases: [ResizeMode, CoordinateMode, number, number][] = [
    ['nearest', 'asymmetric', 2, 2], ['nearest', 'half_pixel', 1.7, 0.6], ['linear', 'half_pixel', 2, 1.5], ['linear', 'pytorch_half_pixel', 0.6, 0.5],
    ['linear', 'align_corners', 1.4, 2.2], ['nearest', 'align_corners', 0.8, 1.3],
  ];
  for (const [mode, coordinates, sy, sx] of cases) {
    const layer = resizeLayer('resize', { mode, coordinates, nearest: 'round_prefer_floor' }, (height, width) => ({
      height: { size: Math.floor(height * sy), scale: sy },
      width: { size: Math.floor(width * sx), scale: sx },
    }));
    checkEveryPixel(t, `${mode} ${coordinates} x${sy} x${sx}`, layer);
  }
});

t.test('pad: constant, reflect, edge, wrap; crops', async (t) => {
  const cases: [PadMode, [number, number, number, number]][] = [['constant', [1, 2, 0, 3]], ['reflect', [2, 1, 3, 2]], ['edge', [3, 0, 1, 2]], ['wrap', [2, 2, 2, 2]], ['constant', [-1, 1, 2, -2]]];
  for (const [mode, pads] of cases) checkEveryPixel(t, `${mode} [${pads.join(', ')}]`, padLayer('pad', { pads, mode, value: 0.25 }));
});

t.test('slice: channel ranges, strided pixels, negative steps', async (t) => {
  checkEveryPixel(t, 'channels 1..3', sliceLayer('slice', () => ({ height: { start: 0, step: 1, size: H }, width: { start: 0, step: 1, size: W }, channels: { start: 1, step: 1, size: 2 } })));
  checkEveryPixel(t, 'rows 1::2, columns ::2', sliceLayer('slice', () => ({ height: { start: 1, step: 2, size: 2 }, width: { start: 0, step: 2, size: 3 }, channels: { start: 0, step: 1, size: C } })));
  checkEveryPixel(t, 'rows backwards, every other column backwards', sliceLayer('slice', () => ({ height: { start: H - 1, step: -1, size: H }, width: { start: W - 1, step: -2, size: 3 }, channels: { start: C - 1, step: -1, size: C } })));
});

t.test('DepthToSpace (DCR, CRD), SpaceToDepth, channel shuffle', async (t) => {
  checkEveryPixel(t, 'DepthToSpace DCR 2', spaceDepthLayer('d2s', 'depthToSpace', 2, false));
  checkEveryPixel(t, 'DepthToSpace CRD 2', spaceDepthLayer('d2s', 'depthToSpace', 2, true));
  const s2d = spaceDepthLayer('s2d', 'spaceToDepth', 2, false);
  const before = featureMap(randomArray(random, 4 * 6 * C), 4, 6, C);
  const state = s2d.createState();
  s2d.step(state, before);
  const out = s2d.step(state, changedAt(before, 9)); // row 1, column 3 → block (0, 1)
  t.same(sorted(out.changes?.pixels), [1], 'SpaceToDepth: pixel (1, 3) reaches block (0, 1)');
  checkEveryPixel(t, 'channel shuffle of 4 in 2 groups', channelPermuteLayer('shuffle', shuffleOrder(4, 2)));
});

t.test('element-wise functions, spatial reductions, transposed convolution', async (t) => {
  checkEveryPixel(t, 'x · k[i] + tanh(x)', new ElementwiseLayer('f', 'f', (x, i) => x * (1 + (i % 3)) + Math.tanh(x)));
  for (const reduction of ['mean', 'max'] as const) {
    // One output pixel: any change touches it (the maximum may not move, so "at least").
    checkEveryPixel(t, `spatial ${reduction}`, new SpatialReduceLayer('reduce', reduction), { exact: reduction === 'mean', tolerance: 1e-6 });
  }
  for (const [stride, pads] of [[1, [1, 1]], [2, [0, 1]]] as const) {
    const outPerGroup = 3;
    const layer = new ConvTransposeLayer({
      name: 'up', weight: randomArray(random, C * outPerGroup * 9), shape: [C, outPerGroup, 3, 3], bias: randomArray(random, outPerGroup), groups: 1,
      stride: [stride, stride], dilation: [1, 1], activation: 'none', leakyReluAlpha: 0.01, threshold: 0,
      geometryFor: (height, width) => ({ outHeight: stride * (height - 1) + 3 - 2 * pads[0], outWidth: stride * (width - 1) + 3 - 2 * pads[1], padTop: pads[0], padLeft: pads[1] }),
    });
    checkEveryPixel(t, `ConvTranspose 3x3 stride ${stride}`, layer, { tolerance: 1e-5 }); // P accumulates differences
  }
});

t.test('merges: channel concat and two maps with broadcasting', async (t) => {
  const check = (label: string, layer: MergeLayer, shapes: [number, number, number][], changing: number) => {
    const inputs = shapes.map(([h, w, c]) => featureMap(randomArray(random, h * w * c), h, w, c));
    const [height, width] = shapes[changing]!;
    let mismatches = 0;
    for (let p = 0; p < height * width; p++) {
      const hinted: FeatureMap[] = inputs.map((m) => ({ ...m, changes: { since: m.data, pixels: new Int32Array(0) } }));
      const state = layer.createState();
      const first = layer.step(state, inputs, inputs[0]!);
      const firstCopy = { ...first, data: first.data.slice() };
      hinted[changing] = changedAt(inputs[changing]!, p);
      const delta = layer.step(state, hinted, inputs[0]!);
      const dense = layer.step(layer.createState(), hinted.map((m) => ({ ...m, changes: undefined })), inputs[0]!);
      const reached = differing(firstCopy, dense);
      const touched = delta.changes ? sorted(delta.changes.pixels) : Array.from({ length: dense.height * dense.width }, (_, o) => o);
      if (touched.join() !== reached.join() || differing(delta, dense).length > 0) mismatches++;
    }
    t.equal(mismatches, 0, `${label}: each changed pixel touches exactly what it reaches, values as dense`);
  };
  check('concat, change in the second input', new MergeLayer('cat', 'concat', CONCAT_CHANNELS), [[H, W, 2], [H, W, 3]], 1);
  check('a + b, change in a', new MergeLayer('add', 'add', broadcastPair((x, y) => x + y)), [[H, W, C], [H, W, C]], 0);
  check('a · gate[1x1], change in the gate: every pixel', new MergeLayer('mul', 'mul', broadcastPair((x, y) => x * y)), [[H, W, C], [1, 1, C]], 1);
  check('a · gate[1x1], change in a', new MergeLayer('mul', 'mul', broadcastPair((x, y) => x * y)), [[H, W, C], [1, 1, C]], 0);
});
