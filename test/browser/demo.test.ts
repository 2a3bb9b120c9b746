// The demo page (examples/browser) in headless Chromium on the fake camera: the faces it draws
// are where onnxruntime-node finds them on the frame it drew, and the screenshot has the box colour
// along those boxes (saved as out/browser-demo.png; docs/browser-demo.png is one of these). A denied
// camera, a model URL that fails and an unsupported model each show a readable message, and Stop
// ends the pipeline and releases the camera. Skips, with the reason, without Chromium or ../shared/data.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import t from 'tap';
import { boxesMatch, decodeUltraFace, type FaceBox } from '../../src/model/index.js';
import { hwcToNchw } from '../../src/model/layout.js';
import { chromiumMissing } from '../helpers/chromium.js';
import { startBrowserSession, type BrowserSession } from '../helpers/browser-session.js';
import { REPO_ROOT } from '../helpers/examples.js';
import { buildModel, weights } from '../helpers/onnx-builder.js';
import { referenceSession } from '../helpers/onnx-runtime.js';
import { prng } from '../helpers/random.js';
import { modelPath, needsSharedData, videoPath } from '../helpers/shared-data.js';

const MODEL = modelPath('ultraface-slim-320.onnx');
const CLIP = videoPath('head-pose-face-detection-female.gif');
const skip = chromiumMissing || needsSharedData(MODEL, CLIP);
const BOX_RGB = [0x22, 0xd3, 0xee];

interface Probe {
  ready: boolean;
  running: boolean;
  frames: number;
  message: string | null;
  boxes: FaceBox[];
  lastFrame: { width: number; height: number; data: Record<string, number> } | null;
}
const probe = (page: import('playwright-core').Page) => page.evaluate(() => {
  const p = (window as unknown as { rrmDemo: Probe }).rrmDemo;
  return { ...p, camera: undefined, lastFrame: p.lastFrame && { ...p.lastFrame, data: Array.from(p.lastFrame.data as unknown as Uint8Array) } };
});
const waitFor = (page: import('playwright-core').Page, condition: string) => page.waitForFunction(condition, null, { timeout: 60_000 });

let session: BrowserSession;
t.before(async () => {
  if (!skip) session = await startBrowserSession({ cameraClip: CLIP });
});
t.teardown(() => session?.close());

t.test('the demo draws the faces where onnxruntime finds them, and the screenshot shows them', { skip, timeout: 60_000 }, async (t) => {
  const { page, context } = await session.open('?autostart=1&tau=0');
  t.teardown(() => context.close());
  await waitFor(page, 'window.rrmDemo.frames > 15 || window.rrmDemo.message');
  await page.evaluate(() => document.getElementById('start')!.click()); // Stop: the frame on screen stays
  const shown = await probe(page);
  t.equal(shown.message, 'Stopped. Press Start to run again.', 'stopped without an error');
  const frame = shown.lastFrame!;
  const bytes = Uint8Array.from(frame.data as unknown as number[]);
  // Independent reference: onnxruntime-node on the frame the page drew, preprocessed by hand.
  const input = hwcToNchw(Float32Array.from(bytes, (v) => (v - 127) / 128), frame.height, frame.width, 3);
  const reference = await referenceSession(MODEL);
  const expected = await reference.run({ dims: [1, 3, frame.height, frame.width], data: input });
  await reference.release();
  const expectedFaces = decodeUltraFace({ scores: expected.scores!, boxes: expected.boxes! });
  t.ok(expectedFaces.length >= 1, `onnxruntime finds ${expectedFaces.length} face(s) on the drawn frame`);
  t.ok(boxesMatch(shown.boxes, expectedFaces), 'the page drew the same faces');

  const view = page.locator('#view');
  const box = (await view.boundingBox())!;
  const png = PNG.sync.read(await page.screenshot());
  const scale = box.width / frame.width;
  for (const face of shown.boxes) {
    // Along the box's left edge (the top one carries the label), in screenshot pixels.
    let onColour = 0;
    let samples = 0;
    for (let y = face.y1 + 4; y < face.y2 - 4; y += 2, samples++) {
      const px = Math.round(box.x + face.x1 * scale);
      const py = Math.round(box.y + y * (box.height / frame.height));
      const found = [-1, 0, 1].some((dx) => {
        const i = (py * png.width + px + dx) * 4;
        return BOX_RGB.every((c, k) => Math.abs(png.data[i + k]! - c) <= 40);
      });
      if (found) onColour++;
    }
    t.ok(onColour / samples > 0.8, `box at (${face.x1.toFixed(0)}, ${face.y1.toFixed(0)}): ${onColour} of ${samples} pixels along its edge have the box colour`);
  }
  mkdirSync(join(REPO_ROOT, 'out'), { recursive: true });
  writeFileSync(join(REPO_ROOT, 'out/browser-demo.png'), PNG.sync.write(png));
});

t.test('a denied camera shows a readable message', { skip, timeout: 60_000 }, async (t) => {
  const { page, context } = await session.open('?autostart=1', { camera: false });
  t.teardown(() => context.close());
  await waitFor(page, 'window.rrmDemo.message');
  const shown = await probe(page);
  t.match(shown.message, /^Camera access was denied\. Allow the camera/);
  t.equal(shown.running, false, 'nothing runs');
  t.equal(await page.locator('#message').isVisible(), true, 'the message is on the page');
});

t.test('a model URL that fails shows a readable message', { skip, timeout: 60_000 }, async (t) => {
  const { page, context } = await session.open('?model=/data/models/no-such-model.onnx');
  t.teardown(() => context.close());
  await waitFor(page, 'window.rrmDemo.message');
  t.match((await probe(page)).message, /^The model could not be loaded \(\/data\/models\/no-such-model\.onnx\): cannot fetch ONNX model .*HTTP 404/);
  t.equal(await page.locator('#start').isDisabled(), true, 'Start stays disabled');
});

t.test('an unsupported model shows a readable message naming the operator', { skip, timeout: 60_000 }, async (t) => {
  const model = buildModel({
    input: { name: 'x', dims: [1, 3, 8, 8] },
    outputs: ['y'],
    nodes: [
      { op: 'Conv', name: 'conv', inputs: ['x', 'w'], outputs: ['c'], attributes: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] } },
      { op: 'Einsum', name: 'squash', inputs: ['c'], outputs: ['y'], attributes: { equation: 'nchw->nhwc' } },
    ],
    initializers: { w: weights(prng(1), [4, 3, 3, 3]) },
  });
  const { page, context } = await session.open();
  t.teardown(() => context.close());
  await page.route((url) => url.pathname === '/unsupported.onnx', (route) => route.fulfill({ status: 200, contentType: 'application/octet-stream', body: Buffer.from(model) }));
  await page.goto(new URL('?model=/unsupported.onnx', session.server.url).href);
  await waitFor(page, 'window.rrmDemo.message');
  t.match((await probe(page)).message, /^The model could not be loaded \(\/unsupported\.onnx\): unsupported operator Einsum x1 \(first: node 'squash'\); supported operators: /);
});

t.test('Stop ends the pipeline and releases the camera', { skip, timeout: 60_000 }, async (t) => {
  const { page, context } = await session.open('?autostart=1');
  t.teardown(() => context.close());
  await waitFor(page, 'window.rrmDemo.frames > 5 || window.rrmDemo.message');
  t.equal((await probe(page)).running, true, 'running');
  await page.click('#start');
  const stopped = await probe(page);
  await page.waitForTimeout(500);
  const later = await probe(page);
  t.equal(stopped.running, false, 'not running');
  t.equal(later.frames, stopped.frames, `no frame processed after Stop (${stopped.frames} before)`);
  t.equal(stopped.message, 'Stopped. Press Start to run again.');
  t.ok(await page.evaluate(() => (window as unknown as { rrmDemo: { camera: MediaStream } }).rrmDemo.camera.getTracks().every((track) => track.readyState === 'ended')), 'camera tracks ended');
  t.equal(await page.textContent('#start'), 'Start', 'the button offers Start again');
});
