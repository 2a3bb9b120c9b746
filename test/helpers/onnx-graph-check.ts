/**
 * The check of a small model written by a test: run by rx-rrm over slightly changing frames (every
 * frame after the first takes the delta path) and compared with onnxruntime-node frame by frame at
 * τ = 0, every output within 1e-4 of onnxruntime's relative to its magnitude; and the test's
 * graph-building shorthands.
 */
import type { Test } from 'tap';
import type { LoadOnnxOptions } from '../../src/model/model.js';
import { isLinear } from '../../src/model/op-table.js';
import type { ModelOperatorOptions, ModelOutput } from '../../src/model/index.js';
import type { FeatureMap } from '../../src/types.js';
import { buildModel, weights, type GraphSpec, type NodeSpec } from './onnx-builder.js';
import { changingMaps, compareWithRuntime } from './onnx-compare.js';

const TOLERANCE = 1e-4;
const FRAMES = 6;

export interface GraphCheckOptions {
  /** Layers (stats entries) per frame after folding and fusion. */
  readonly expectLayers?: number;
  /** Frames to run instead of slightly changing white noise at the input's declared size. */
  readonly maps?: readonly FeatureMap[];
  readonly operator?: ModelOperatorOptions;
  /** Whether every frame after the first must have a sparse (non-dense) layer (default true; false when the test checks it itself). */
  readonly everyFrameDelta?: boolean;
  readonly load?: LoadOnnxOptions;
}

export async function checkGraph(t: Test, random: () => number, label: string, spec: GraphSpec, options: GraphCheckOptions = {}): Promise<ModelOutput[]> {
  const hasRrmLayer = spec.nodes.some((n) => isLinear(n.op));
  const [, channels, height, width] = spec.input.dims as [number, number, number, number];
  const maps = options.maps ?? changingMaps(random, height, width, channels, FRAMES);
  const { worst, outputs } = await compareWithRuntime(buildModel(spec), maps, options.operator, options.load);
  for (const name of options.load?.outputs ?? spec.outputs) {
    t.ok(worst[name]! <= TOLERANCE, `${label}: output '${name}' within ${TOLERANCE} of onnxruntime (worst ${worst[name]?.toExponential(2)})`);
  }
  if (options.expectLayers !== undefined) {
    const kinds = outputs[1]!.stats.map((s) => s.kind);
    t.equal(kinds.length, options.expectLayers, `${label}: ${options.expectLayers} layers after folding and fusion (${kinds.join(', ')})`);
  }
  if (hasRrmLayer && options.everyFrameDelta !== false) t.ok(outputs.slice(1).every((o) => o.stats.some((s) => !s.dense)), `${label}: frames after the first use the delta path`);
  return outputs;
}

export const convNode = (name: string, input: string, output: string, attributes: NodeSpec['attributes'] = {}, bias = true): NodeSpec => ({
  op: 'Conv', name, inputs: [input, `${name}.w`, ...(bias ? [`${name}.b`] : [])], outputs: [output], attributes,
});

export const convWeights = (random: () => number, name: string, out: number, inPerGroup: number, k: number, bias = true) => ({
  [`${name}.w`]: weights(random, [out, inPerGroup, k, k]),
  ...(bias ? { [`${name}.b`]: weights(random, [out]) } : {}),
});
