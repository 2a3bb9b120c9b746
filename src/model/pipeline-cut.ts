/**
 * Where the two-thread frame pipeline cuts a graph (`frame-pipeline.ts`): the steps before the cut
 * run on the caller's thread, the rest on the stage worker, and the values that cross are those
 * made before the cut and read after it.
 */
import type { SizedGraph } from './shape-folding.js';
import { RrmInputError } from '../layers/validate.js';
import { CALLER_SHARE } from './stage-thread.js';
import { isLinear } from './op-table.js';
import { sizeOf } from './tensor.js';

export interface PipelineCut {
  /** Index of the first step the worker runs. */
  readonly start: number;
  /** Values made before the cut (or the model input) that steps after it read. */
  readonly crossing: readonly string[];
  /** Graph outputs made before the cut: they stay on the caller's side. */
  readonly localOutputs: readonly string[];
  /** Graph outputs the worker sends back. */
  readonly remoteOutputs: readonly string[];
}

/**
 * What a step is estimated to cost, in multiply-adds: a linear layer's dense multiply-adds, any
 * other step one per output value. A sparse frame does a fraction of each, roughly alike across
 * layers, so dense costs rank the steps the way their times do.
 */
export function stepCost(sized: SizedGraph, k: number): number {
  const node = sized.graph.nodes[k]!;
  const outDims = sized.dims.get(node.outputs[0]!);
  const outputs = outDims ? sizeOf(outDims) : 0;
  if (!isLinear(node.opType)) return outputs;
  const weights = sized.graph.constants.get(node.inputs[1] ?? '');
  if (!weights) return outputs;
  // Per output value, the weights of one output channel: channels are dim 1 of a conv's output, the last of a Gemm's or MatMul's.
  const outChannels = (node.opType === 'Gemm' || node.opType === 'MatMul' ? outDims?.at(-1) : outDims?.[1]) ?? 1;
  return (outputs * sizeOf(weights.dims)) / outChannels;
}

/** The cut that leaves the caller `share` of the estimated work (at least one step on each side), or the one before node `splitAt`. */
export function chooseCut(sized: SizedGraph, splitAt?: string, share: number = CALLER_SHARE): PipelineCut {
  if (splitAt !== undefined) {
    const start = sized.graph.nodes.findIndex((n) => n.name === splitAt);
    if (start < 1) {
      const names = sized.graph.nodes.slice(1).map((n) => `'${n.name}'`);
      throw new RrmInputError(`splitAt: '${splitAt}' is ${start === 0 ? 'the first node, which leaves the caller nothing' : 'no node of the graph'}; the worker can start at ${names.slice(0, 12).join(', ')}${names.length > 12 ? `, ... (${names.length} nodes)` : ''}`);
    }
    return cutAt(sized, start);
  }
  const nodes = sized.graph.nodes;
  const costs = nodes.map((_, k) => stepCost(sized, k));
  const total = costs.reduce((a, b) => a + b, 0);
  let start = 1;
  for (let done = costs[0] ?? 0; start < nodes.length - 1 && done + costs[start]! / 2 < share * total; start++) done += costs[start]!;
  return cutAt(sized, start);
}

export function cutAt(sized: SizedGraph, start: number): PipelineCut {
  const { graph } = sized;
  const madeBefore = new Set<string>([graph.input.name]);
  graph.nodes.slice(0, start).forEach((n) => n.outputs.forEach((o) => o && madeBefore.add(o)));
  const crossing = new Set<string>();
  for (const node of graph.nodes.slice(start)) for (const name of node.inputs) if (madeBefore.has(name)) crossing.add(name);
  const outputs = graph.outputs.map((o) => o.name);
  return {
    start,
    crossing: [...crossing],
    localOutputs: outputs.filter((o) => madeBefore.has(o)),
    remoteOutputs: outputs.filter((o) => !madeBefore.has(o)),
  };
}
