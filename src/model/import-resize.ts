/**
 * Resize and Upsample of image maps over H and W on the delta path (nearest or bilinear, any
 * coordinate mode): a changed pixel recomputes only the output pixels that sample it. Scales or
 * sizes computed at run time, or a resize of the batch or channels, run densely.
 */
import { resizeLayer } from '../layers/resize-layer.js';
import { resizePlan } from './dense-resize.js';
import type { OnnxNode } from './graph.js';
import { asImageMap, isImage } from './layout.js';
import { denseFallback, requireInput, runLayer, type GraphStep, type ImportContext } from './step.js';

export function importResize(node: OnnxNode, ctx: ImportContext): GraphStep {
  const where = `${node.opType} node '${node.name}'`;
  const dense = denseFallback(node, ctx);
  const opset = ctx.graph.opset;
  const constants = node.inputs.map((name) => (name ? ctx.graph.constants.get(name) : undefined));
  const parametersKnown = node.inputs.slice(1).every((name, k) => !name || constants[k + 1] !== undefined);
  const planFor = (height: number, width: number, channels: number) => resizePlan(node, opset, [1, channels, height, width], constants);
  // Checked once at import, so that unsupported modes fail at load.
  const options = parametersKnown ? planFor(1, 1, 1).options : undefined;
  const layer = options && resizeLayer(node.name, options, (height, width) => {
    const plan = planFor(height, width, 1);
    return { height: { size: plan.dims[2]!, scale: plan.scales[2]! }, width: { size: plan.dims[3]!, scale: plan.scales[3]! } };
  }, true);
  return {
    node,
    createState: () => layer?.createState(),
    run: (state, inputs, frame) => {
      const input = requireInput(node, inputs);
      if (layer && isImage(input) && input.dims.length === 4) {
        const plan = planFor(input.map.height, input.map.width, input.map.channels);
        if (plan.dims[0] === 1 && plan.dims[1] === input.map.channels) {
          return [runLayer(layer, state as ReturnType<typeof layer.createState>, asImageMap(input, frame.meta, where), frame)];
        }
      }
      return [dense(inputs)];
    },
  };
}
