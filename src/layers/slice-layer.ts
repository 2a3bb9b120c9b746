/**
 * Slicing a map: a range of channels (C2f's `chunk`, `split`), strided pixels (YOLOv5's Focus
 * stem: `x[..., ::2, 1::2]`), or both; steps may be negative (flips). On the delta path a changed
 * input pixel recomputes the one output pixel that copies it, if any.
 */
import type { TouchedPixels } from '../kernels/touched-pixels.js';
import { perOutputPixel, PixelMapLayer, type PixelMapping, touch } from './pixel-map-layer.js';
import { RrmInputError } from './validate.js';

/** First index, step and length of one axis of the slice. */
export interface SliceAxis {
  readonly start: number;
  readonly step: number;
  readonly size: number;
}

export interface MapSlice {
  readonly height: SliceAxis;
  readonly width: SliceAxis;
  readonly channels: SliceAxis;
}

export function sliceLayer(name: string, sliceFor: (height: number, width: number, channels: number) => MapSlice, reuseOutput = false): PixelMapLayer {
  return new PixelMapLayer(name, 'slice', (height, width, channels) => sliceMapping(name, height, width, channels, sliceFor(height, width, channels)), reuseOutput);
}

/** The output index along an axis that copies input index `i`, or -1. */
function outputIndex(i: number, axis: SliceAxis): number {
  const offset = i - axis.start;
  if (offset % axis.step !== 0) return -1;
  const o = offset / axis.step;
  return o >= 0 && o < axis.size ? o : -1;
}

function sliceMapping(name: string, height: number, width: number, channels: number, slice: MapSlice): PixelMapping {
  const { height: rows, width: columns, channels: depth } = slice;
  if (rows.size < 1 || columns.size < 1 || depth.size < 1) {
    throw new RrmInputError(`${name}: the slice of a ${height}x${width}x${channels} map is empty (${rows.size}x${columns.size}x${depth.size})`);
  }
  const outWidth = columns.size;
  const outChannels = depth.size;
  const computePixel = (input: Float32Array, output: Float32Array, o: number) => {
    const oy = (o / outWidth) | 0;
    const ox = o - oy * outWidth;
    const source = ((rows.start + oy * rows.step) * width + columns.start + ox * columns.step) * channels + depth.start;
    const target = o * outChannels;
    if (depth.step === 1) {
      for (let c = 0; c < outChannels; c++) output[target + c] = input[source + c]!;
    } else {
      for (let c = 0; c < outChannels; c++) output[target + c] = input[source + c * depth.step]!;
    }
  };
  return {
    outHeight: rows.size,
    outWidth,
    outChannels,
    compute: perOutputPixel(rows.size * outWidth, computePixel),
    reach(p: number, touched: TouchedPixels) {
      const iy = (p / width) | 0;
      const oy = outputIndex(iy, rows);
      const ox = outputIndex(p - iy * width, columns);
      if (oy >= 0 && ox >= 0) touch(touched, oy * outWidth + ox);
    },
  };
}
