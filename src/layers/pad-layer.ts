/**
 * Padding a map's height and width (ONNX Pad: constant, reflect, edge, wrap; negative pads crop).
 * On the delta path a changed input pixel recomputes only the output pixels that copy it (one, or
 * several where reflect, edge or wrap repeat it).
 */
import type { TouchedPixels } from '../kernels/touched-pixels.js';
import { perOutputPixel, PixelMapLayer, type PixelMapping, touch } from './pixel-map-layer.js';
import { RrmInputError } from './validate.js';

export type PadMode = 'constant' | 'reflect' | 'edge' | 'wrap';

/** The source index along one axis of output index `o`, or -1 where the constant goes. */
export function padSource(o: number, begin: number, size: number, mode: PadMode): number {
  const x = o - begin;
  if (x >= 0 && x < size) return x;
  switch (mode) {
    case 'constant': return -1;
    case 'edge': return x < 0 ? 0 : size - 1;
    case 'wrap': return ((x % size) + size) % size;
    case 'reflect': {
      // Mirror without repeating the edge pixel.
      if (size === 1) return 0;
      const period = 2 * (size - 1);
      const m = ((x % period) + period) % period;
      return m < size ? m : period - m;
    }
  }
}

export interface PadConfig {
  /** `[top, left, bottom, right]`; negative values crop. */
  readonly pads: readonly [number, number, number, number];
  readonly mode: PadMode;
  readonly value: number;
}

export function padLayer(name: string, config: PadConfig, reuseOutput = false): PixelMapLayer {
  return new PixelMapLayer(name, 'pad', (height, width, channels) => padMapping(name, height, width, channels, config), reuseOutput);
}

/** Per output index along one axis its source, and per source index the outputs that copy it. */
function axisSources(size: number, begin: number, end: number, mode: PadMode): { sources: Int32Array; reached: number[][] } {
  const out = size + begin + end;
  const sources = Int32Array.from({ length: out }, (_, o) => padSource(o, begin, size, mode));
  const reached = Array.from({ length: size }, () => [] as number[]);
  sources.forEach((s, o) => s >= 0 && reached[s]!.push(o));
  return { sources, reached };
}

function padMapping(name: string, height: number, width: number, channels: number, config: PadConfig): PixelMapping {
  const [top, left, bottom, right] = config.pads;
  const outHeight = height + top + bottom;
  const outWidth = width + left + right;
  if (outHeight < 1 || outWidth < 1) throw new RrmInputError(`${name}: pads [${config.pads.join(', ')}] leave nothing of a ${height}x${width} map`);
  if (config.mode === 'reflect' && (Math.max(top, bottom) >= height || Math.max(left, right) >= width)) {
    throw new RrmInputError(`${name}: reflect pads [${config.pads.join(', ')}] must be smaller than the ${height}x${width} map`);
  }
  const rows = axisSources(height, top, bottom, config.mode);
  const columns = axisSources(width, left, right, config.mode);
  const computePixel = (input: Float32Array, output: Float32Array, o: number) => {
    const oy = (o / outWidth) | 0;
    const sy = rows.sources[oy]!;
    const sx = columns.sources[o - oy * outWidth]!;
    const target = o * channels;
    if (sy < 0 || sx < 0) {
      output.fill(config.value, target, target + channels);
      return;
    }
    const source = (sy * width + sx) * channels;
    for (let c = 0; c < channels; c++) output[target + c] = input[source + c]!;
  };
  return {
    outHeight,
    outWidth,
    outChannels: channels,
    compute: perOutputPixel(outHeight * outWidth, computePixel),
    reach(p: number, touched: TouchedPixels) {
      const iy = (p / width) | 0;
      for (const oy of rows.reached[iy]!) for (const ox of columns.reached[p - iy * width]!) touch(touched, oy * outWidth + ox);
    },
  };
}
