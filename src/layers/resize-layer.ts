/**
 * Resizing a map (ONNX Resize / Upsample over H and W: nearest or bilinear, any coordinate mode).
 * On the delta path a changed input pixel recomputes only the output pixels that sample it.
 */
import type { TouchedPixels } from '../kernels/touched-pixels.js';
import { perOutputPixel, PixelMapLayer, type PixelMapping, touch } from './pixel-map-layer.js';
import { axisTaps, reverseTaps, type ResizeOptions } from './resize-taps.js';
import { RrmInputError } from './validate.js';

/** Output size of one axis and the scale its coordinate transform uses. */
export interface ResizedAxis {
  readonly size: number;
  readonly scale: number;
}

export function resizeLayer(
  name: string,
  options: ResizeOptions,
  /** The output height and width (and their scales) for an input size. */
  sizeFor: (height: number, width: number) => { readonly height: ResizedAxis; readonly width: ResizedAxis },
  reuseOutput = false,
): PixelMapLayer {
  return new PixelMapLayer(name, 'resize', (height, width, channels) => resizeMapping(name, height, width, channels, sizeFor(height, width), options), reuseOutput);
}

function resizeMapping(name: string, height: number, width: number, channels: number, size: { height: ResizedAxis; width: ResizedAxis }, options: ResizeOptions): PixelMapping {
  const outHeight = size.height.size;
  const outWidth = size.width.size;
  if (outHeight < 1 || outWidth < 1) throw new RrmInputError(`${name}: resizing ${height}x${width} gives ${outHeight}x${outWidth}`);
  const rows = axisTaps(height, outHeight, size.height.scale, options);
  const columns = axisTaps(width, outWidth, size.width.scale, options);
  const rowsReached = reverseTaps(rows, height);
  const columnsReached = reverseTaps(columns, width);

  const computePixel = (input: Float32Array, output: Float32Array, o: number) => {
    const oy = (o / outWidth) | 0;
    const ox = o - oy * outWidth;
    const [y0, y1, wy0, wy1] = [rows.first[oy]!, rows.second[oy]!, rows.firstWeight[oy]!, rows.secondWeight[oy]!];
    const [x0, x1, wx0, wx1] = [columns.first[ox]!, columns.second[ox]!, columns.firstWeight[ox]!, columns.secondWeight[ox]!];
    const a = (y0 * width + x0) * channels;
    const target = o * channels;
    if (wy1 === 0 && wx1 === 0) {
      for (let c = 0; c < channels; c++) output[target + c] = input[a + c]!;
      return;
    }
    const b = (y0 * width + x1) * channels;
    const d = (y1 * width + x0) * channels;
    const e = (y1 * width + x1) * channels;
    for (let c = 0; c < channels; c++) {
      output[target + c] = wy0 * (wx0 * input[a + c]! + wx1 * input[b + c]!) + wy1 * (wx0 * input[d + c]! + wx1 * input[e + c]!);
    }
  };
  return {
    outHeight,
    outWidth,
    outChannels: channels,
    compute: perOutputPixel(outHeight * outWidth, computePixel),
    reach(p: number, touched: TouchedPixels) {
      const iy = (p / width) | 0;
      const ix = p - iy * width;
      for (let r = rowsReached.offsets[iy]!; r < rowsReached.offsets[iy + 1]!; r++) {
        const row = rowsReached.outputs[r]! * outWidth;
        for (let q = columnsReached.offsets[ix]!; q < columnsReached.offsets[ix + 1]!; q++) touch(touched, row + columnsReached.outputs[q]!);
      }
    },
  };
}
