/**
 * Pad on image maps over H and W (constant, reflect, edge, wrap) on the delta path; padding of the
 * batch or the channels, or parameters computed at run time, run densely.
 */
import { padLayer, type PadMode } from '../layers/pad-layer.js';
import { padParameters, PAD_MODES } from './dense-shape-ops.js';
import { ModelImportError } from './errors.js';
import type { OnnxNode } from './graph.js';
import { asImageMap, isImage } from './layout.js';
import { denseFallback, requireInput, runLayer, type GraphStep, type ImportContext } from './step.js';

export function importPad(node: OnnxNode, ctx: ImportContext): GraphStep {
  const where = `Pad node '${node.name}'`;
  const dense = denseFallback(node, ctx);
  const constants = node.inputs.map((name) => (name ? ctx.graph.constants.get(name) : undefined));
  const parameters = padParameters(node, ctx.graph.opset, constants, 4);
  if (parameters && !(PAD_MODES as readonly string[]).includes(parameters.mode)) {
    throw new ModelImportError(`${where}: mode '${parameters.mode}' is not supported (${PAD_MODES.join(', ')} are)`);
  }
  const spatial = parameters?.pads.length === 8 && [0, 1, 4, 5].every((k) => parameters.pads[k] === 0);
  const layer = spatial && (node.inputs.length < 3 || !node.inputs[2] || constants[2])
    ? padLayer(node.name, { pads: [parameters.pads[2]!, parameters.pads[3]!, parameters.pads[6]!, parameters.pads[7]!], mode: parameters.mode as PadMode, value: parameters.value }, true)
    : undefined;
  return {
    node,
    createState: () => layer?.createState(),
    run: (state, inputs, frame) => {
      const input = requireInput(node, inputs);
      if (layer && isImage(input) && input.dims.length === 4) {
        return [runLayer(layer, state as ReturnType<typeof layer.createState>, asImageMap(input, frame.meta, where), frame)];
      }
      return [dense(inputs)];
    },
  };
}
