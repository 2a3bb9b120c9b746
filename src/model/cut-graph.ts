/**
 * Where a model's maps end and its post-processing begins. `loadOnnx(path, { outputs })` cuts the
 * graph there (only the nodes the named values need are kept), so that detections can be decoded
 * in TypeScript instead of by the model's own TopK / NonZero / NonMaxSuppression / If subgraphs;
 * a model that keeps them computes the supported ones densely after the last map, and loading it
 * says which of the two it did.
 */
import { ModelImportError } from './errors.js';
import type { OnnxGraph, OnnxNode, ValueInfo } from './graph.js';
import { operatorRecord } from './op-table.js';

/** The graph reduced to the nodes that compute `outputs`, which become its outputs. */
export function cutGraph(graph: OnnxGraph, outputs: readonly string[]): OnnxGraph {
  if (outputs.length === 0) throw new ModelImportError('outputs: name at least one value to keep');
  const producers = new Map<string, OnnxNode>();
  for (const node of graph.nodes) node.outputs.forEach((o) => o && producers.set(o, node));
  for (const name of outputs) {
    if (!producers.has(name) && !graph.constants.has(name) && name !== graph.input.name) {
      throw new ModelImportError(`outputs: the model computes no value named '${name}' (graph outputs: ${graph.outputs.map((o) => o.name).join(', ')})`);
    }
  }
  const needed = new Set<OnnxNode>();
  const pending = [...outputs];
  while (pending.length > 0) {
    const node = producers.get(pending.pop()!);
    if (!node || needed.has(node)) continue;
    needed.add(node);
    pending.push(...node.inputs.filter(Boolean));
  }
  const declared = new Map(graph.outputs.map((o) => [o.name, o]));
  return {
    ...graph,
    nodes: graph.nodes.filter((n) => needed.has(n)),
    outputs: outputs.map((name): ValueInfo => declared.get(name) ?? { name, dims: [] }),
  };
}

/** The model's post-processing: the nodes from the first post-processing or unsupported operator on. */
export interface PostProcessing {
  /** Operator types of those nodes, with their counts. */
  readonly operators: Readonly<Record<string, number>>;
  /** Values computed before it that it reads: where `outputs` can cut the graph. */
  readonly cutPoints: readonly string[];
}

/** The graph's post-processing tail, or undefined when it has none. */
export function findPostProcessing(graph: Pick<OnnxGraph, 'nodes' | 'constants' | 'input'>): PostProcessing | undefined {
  const tail = new Set<OnnxNode>();
  const tailValues = new Set<string>();
  for (const node of graph.nodes) {
    const record = operatorRecord(node.opType);
    const starts = !record || record.internal || record.postProcessing;
    if (starts || node.inputs.some((i) => tailValues.has(i))) {
      tail.add(node);
      node.outputs.forEach((o) => tailValues.add(o));
    }
  }
  if (tail.size === 0) return undefined;
  const operators: Record<string, number> = {};
  for (const node of tail) operators[node.opType] = (operators[node.opType] ?? 0) + 1;
  const shapeOnly = new Set(graph.nodes.filter((n) => operatorRecord(n.opType)?.shapeOnly).flatMap((n) => n.outputs));
  const cutPoints = new Set<string>();
  for (const node of tail) {
    for (const input of node.inputs) {
      if (input && !tailValues.has(input) && !graph.constants.has(input) && input !== graph.input.name && !shapeOnly.has(input)) cutPoints.add(input);
    }
  }
  return { operators, cutPoints: [...cutPoints] };
}

export const describeOperators = (operators: Readonly<Record<string, number>>): string =>
  Object.entries(operators).map(([op, count]) => `${op} x${count}`).join(', ');
