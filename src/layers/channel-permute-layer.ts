/**
 * Reordering a map's channels: ShuffleNet's channel shuffle (a Reshape to [1, g, C/g, H, W], a
 * Transpose of the two channel axes, a Reshape back), recognized at load as one layer. Each output
 * pixel copies its own input pixel, so a change hint passes through unchanged.
 */
import type { TouchedPixels } from '../kernels/touched-pixels.js';
import { perOutputPixel, PixelMapLayer, touch } from './pixel-map-layer.js';
import { RrmInputError } from './validate.js';

/** `order[c]`: the input channel that output channel `c` copies. */
export function channelPermuteLayer(name: string, order: Int32Array, reuseOutput = false): PixelMapLayer {
  return new PixelMapLayer(name, 'channelShuffle', (height, width, channels) => {
    if (channels !== order.length) throw new RrmInputError(`${name}: input has ${channels} channels, expected ${order.length}`);
    const computePixel = (input: Float32Array, output: Float32Array, p: number) => {
      const base = p * channels;
      for (let c = 0; c < channels; c++) output[base + c] = input[base + order[c]!]!;
    };
    return {
      outHeight: height,
      outWidth: width,
      outChannels: channels,
      compute: perOutputPixel(height * width, computePixel),
      reach: (p: number, touched: TouchedPixels) => touch(touched, p),
    };
  }, reuseOutput);
}

/** The channel order of a shuffle of `channels` in `groups` groups: output c = input (c mod g)·(C/g) + ⌊c / g⌋. */
export function shuffleOrder(channels: number, groups: number): Int32Array {
  const perGroup = channels / groups;
  return Int32Array.from({ length: channels }, (_, c) => (c % groups) * perGroup + Math.floor(c / groups));
}
