/** Naive max and average pooling over HWC maps: the oracle for `pool.ts`. */
import type { WindowGeometry } from '../../../src/kernels/geometry.js';
import type { PoolShape as PoolReferenceShape } from '../../../src/kernels/pool.js';

export function maxPoolReference(shape: PoolReferenceShape, window: WindowGeometry, input: Float32Array): Float32Array {
  return poolReference(shape, window, input, 'max', false);
}

export function avgPoolReference(
  shape: PoolReferenceShape,
  window: WindowGeometry,
  input: Float32Array,
  countIncludePad: boolean,
): Float32Array {
  return poolReference(shape, window, input, 'avg', countIncludePad);
}

function poolReference(
  shape: PoolReferenceShape,
  window: WindowGeometry,
  input: Float32Array,
  kind: 'max' | 'avg',
  countIncludePad: boolean,
): Float32Array {
  const { height, width, channels } = shape;
  const output = new Float32Array(window.outHeight * window.outWidth * channels);
  for (let oy = 0; oy < window.outHeight; oy++) {
    for (let ox = 0; ox < window.outWidth; ox++) {
      for (let c = 0; c < channels; c++) {
        let max = -Infinity;
        let sum = 0;
        let count = 0;
        let padded = 0;
        for (let ky = 0; ky < shape.kernel[0]; ky++) {
          for (let kx = 0; kx < shape.kernel[1]; kx++) {
            const iy = oy * shape.stride[0] - window.padTop + ky * shape.dilation[0];
            const ix = ox * shape.stride[1] - window.padLeft + kx * shape.dilation[1];
            // Positions in the declared padding count for count_include_pad; those past it (ceil_mode) never do.
            const inPadding = iy >= -window.padTop && iy < height + window.padBottom && ix >= -window.padLeft && ix < width + window.padRight;
            if (iy < 0 || iy >= height || ix < 0 || ix >= width) {
              if (inPadding) padded++;
              continue;
            }
            const v = input[(iy * width + ix) * channels + c]!;
            if (v > max) max = v;
            sum += v;
            count++;
          }
        }
        const o = (oy * window.outWidth + ox) * channels + c;
        output[o] = kind === 'max' ? max : sum / (countIncludePad ? count + padded : count);
      }
    }
  }
  return output;
}
