import fc from 'fast-check';
import t from 'tap';
import { resolveWindow, type Padding } from '../../src/kernels/geometry.js';
import { poolPixels } from '../../src/kernels/pool.js';
import { avgPoolReference, maxPoolReference } from '../helpers/reference/pool.js';
import { maxAbsDiff } from '../helpers/maps.js';
import { prng, randomArray } from '../helpers/random.js';

t.test('pooling over all and over listed output pixels equals the reference', async (t) => {
  fc.assert(
    fc.property(
      fc.record({
        kernel: fc.tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 })),
        stride: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
        dilation: fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 })),
        pad: fc.integer({ min: 0, max: 1 }),
        size: fc.tuple(fc.integer({ min: 0, max: 9 }), fc.integer({ min: 0, max: 9 })),
        channels: fc.integer({ min: 1, max: 5 }),
        ceilMode: fc.boolean(),
        countIncludePad: fc.boolean(),
        seed: fc.integer(),
      }),
      (r) => {
        const height = r.size[0] + r.dilation[0] * (r.kernel[0] - 1) + 1;
        const width = r.size[1] + r.dilation[1] * (r.kernel[1] - 1) + 1;
        const padding: Padding = Math.min(r.pad, Math.floor(r.kernel[0] / 2), Math.floor(r.kernel[1] / 2));
        const window = resolveWindow(height, width, { kernel: r.kernel, stride: r.stride, dilation: r.dilation, padding, ceilMode: r.ceilMode });
        const shape = { height, width, channels: r.channels, kernel: r.kernel, stride: r.stride, dilation: r.dilation };
        const random = prng(r.seed);
        const input = randomArray(random, height * width * r.channels);
        const outPixels = window.outHeight * window.outWidth;
        for (const kind of ['max', 'avg'] as const) {
          const expected = kind === 'max' ? maxPoolReference(shape, window, input) : avgPoolReference(shape, window, input, r.countIncludePad);
          const all = new Float32Array(outPixels * r.channels);
          poolPixels(kind, r.countIncludePad, shape, window, input, all, null, 0);
          const listed = new Float32Array(outPixels * r.channels);
          const pixels = Int32Array.from({ length: outPixels }, (_, k) => outPixels - 1 - k);
          poolPixels(kind, r.countIncludePad, shape, window, input, listed, pixels, pixels.length);
          if (maxAbsDiff(all, expected) > 1e-6 || maxAbsDiff(listed, expected) > 1e-6) return false;
        }
        return true;
      },
    ),
    { numRuns: 300 },
  );
  t.pass('300 random pooling layers');
});
