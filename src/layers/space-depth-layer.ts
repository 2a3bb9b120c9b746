/**
 * DepthToSpace and SpaceToDepth on a map: each block of `b x b` pixels trades places with `b²`
 * groups of channels (ONNX's DCR and CRD orders for DepthToSpace). On the delta path a changed
 * pixel recomputes the block of output pixels it spreads to (DepthToSpace) or the one it joins.
 */
import type { TouchedPixels } from '../kernels/touched-pixels.js';
import { perOutputPixel, PixelMapLayer, type PixelMapping, touch } from './pixel-map-layer.js';
import { RrmInputError } from './validate.js';

export type SpaceDepthKind = 'depthToSpace' | 'spaceToDepth';

export function spaceDepthLayer(name: string, kind: SpaceDepthKind, block: number, crd: boolean, reuseOutput = false): PixelMapLayer {
  return new PixelMapLayer(name, kind, (height, width, channels) => spaceDepthMapping(name, kind, block, crd, height, width, channels), reuseOutput);
}

function spaceDepthMapping(name: string, kind: SpaceDepthKind, block: number, crd: boolean, height: number, width: number, channels: number): PixelMapping {
  const b2 = block * block;
  const toSpace = kind === 'depthToSpace';
  if (toSpace && channels % b2 !== 0) throw new RrmInputError(`${name}: ${channels} channels do not split into ${block}x${block} blocks`);
  if (!toSpace && (height % block !== 0 || width % block !== 0)) throw new RrmInputError(`${name}: a ${height}x${width} map is not a multiple of ${block}`);
  const outHeight = toSpace ? height * block : height / block;
  const outWidth = toSpace ? width * block : width / block;
  const outChannels = toSpace ? channels / b2 : channels * b2;
  const computePixel = (input: Float32Array, output: Float32Array, o: number) => {
    const oy = (o / outWidth) | 0;
    const ox = o - oy * outWidth;
    const target = o * outChannels;
    if (toSpace) {
      const by = oy % block;
      const bx = ox % block;
      const source = (((oy - by) / block) * width + (ox - bx) / block) * channels;
      const blockIndex = by * block + bx;
      for (let c = 0; c < outChannels; c++) output[target + c] = input[source + (crd ? c * b2 + blockIndex : blockIndex * outChannels + c)]!;
    } else {
      for (let blockIndex = 0; blockIndex < b2; blockIndex++) {
        const y = oy * block + ((blockIndex / block) | 0);
        const x = ox * block + (blockIndex % block);
        const source = (y * width + x) * channels;
        for (let c = 0; c < channels; c++) output[target + blockIndex * channels + c] = input[source + c]!;
      }
    }
  };
  return {
    outHeight,
    outWidth,
    outChannels,
    compute: perOutputPixel(outHeight * outWidth, computePixel),
    reach(p: number, touched: TouchedPixels) {
      const iy = (p / width) | 0;
      const ix = p - iy * width;
      if (!toSpace) {
        touch(touched, ((iy / block) | 0) * outWidth + ((ix / block) | 0));
        return;
      }
      for (let by = 0; by < block; by++) for (let bx = 0; bx < block; bx++) touch(touched, (iy * block + by) * outWidth + ix * block + bx);
    },
  };
}
