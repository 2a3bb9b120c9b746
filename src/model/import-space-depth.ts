/**
 * DepthToSpace, SpaceToDepth and ChannelShuffle (ShuffleNet's Reshape-Transpose-Reshape, recognized
 * at load) on image maps, on the delta path; anything else runs densely.
 */
import { channelPermuteLayer, shuffleOrder } from '../layers/channel-permute-layer.js';
import type { PixelMapLayer } from '../layers/pixel-map-layer.js';
import { spaceDepthLayer } from '../layers/space-depth-layer.js';
import { ModelImportError } from './errors.js';
import type { OnnxNode } from './graph.js';
import { asImageMap, isImage } from './layout.js';
import { denseFallback, requireInput, runLayer, type GraphStep, type ImportContext } from './step.js';

function imageLayerStep(node: OnnxNode, ctx: ImportContext, layer: PixelMapLayer): GraphStep {
  const where = `${node.opType} node '${node.name}'`;
  const dense = denseFallback(node, ctx);
  return {
    node,
    createState: () => layer.createState(),
    run: (state, inputs, frame) => {
      const input = requireInput(node, inputs);
      if (isImage(input) && input.dims.length === 4) return [runLayer(layer, state as ReturnType<PixelMapLayer['createState']>, asImageMap(input, frame.meta, where), frame)];
      return [dense(inputs)];
    },
  };
}

export function importSpaceDepth(node: OnnxNode, ctx: ImportContext): GraphStep {
  const block = node.attributes.int('blocksize', 0);
  if (block < 1) throw new ModelImportError(`${node.opType} node '${node.name}': blocksize ${block} must be at least 1`);
  const crd = node.attributes.string('mode', 'DCR') === 'CRD';
  return imageLayerStep(node, ctx, spaceDepthLayer(node.name, node.opType === 'DepthToSpace' ? 'depthToSpace' : 'spaceToDepth', block, crd, true));
}

/** The internal ChannelShuffle node: attributes `groups` and `channels`, set by optimizeGraph. */
export function importChannelShuffle(node: OnnxNode, ctx: ImportContext): GraphStep {
  const order = shuffleOrder(node.attributes.int('channels', 0), node.attributes.int('groups', 1));
  return imageLayerStep(node, ctx, channelPermuteLayer(node.name, order, true));
}
