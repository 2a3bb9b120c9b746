/**
 * Shape folding: with the input size known (declared, or taken from the first frame of a model
 * with dynamic H/W), every value's dims follow from the operators' shape rules, so `Shape` of any
 * map, and all the arithmetic exporters build on it (Gather, Slice, Concat, Cast, Range,
 * ConstantOfShape, Expand, Where, Div, ...), become constants. The Reshape targets, Slice bounds
 * and Resize sizes they feed are then constants too, which the delta-path layers need. Nothing is
 * computed on image data: a map's dims come from its producer's rule, not from running it.
 */
import { shapeOfDims } from './dense-shape-ops.js';
import { ModelImportError } from './errors.js';
import type { OnnxGraph, OnnxNode } from './graph.js';
import { operatorRecord } from './op-table.js';
import type { ValueFacts } from './shape-rules.js';
import { sizeOf, tensorOf, type Tensor } from './tensor.js';

/** The graph for one input size, and the dims of every value whose dims are known before run time. */
export interface SizedGraph {
  readonly graph: OnnxGraph;
  readonly dims: ReadonlyMap<string, readonly number[]>;
}

/** Inputs up to this many elements may be evaluated on zeros to learn an operator's output dims. */
const PROBE_LIMIT = 1 << 16;

/**
 * The graph specialized to an input of `inputDims`: constant subgraphs (shape arithmetic included)
 * evaluated and removed, the input declared with these dims. Nodes are copies: the caller's graph
 * is not changed.
 */
export function foldShapes(graph: OnnxGraph, inputDims: readonly number[]): SizedGraph {
  const constants = new Map(graph.constants);
  const facts = new Map<string, ValueFacts>();
  for (const [name, t] of constants) facts.set(name, { dims: t.dims, constant: t });
  facts.set(graph.input.name, { dims: inputDims });
  const kept: OnnxNode[] = [];
  for (const original of graph.nodes) {
    const node: OnnxNode = { ...original, inputs: [...original.inputs], outputs: [...original.outputs] };
    const inputs = node.inputs.map((name) => (name === '' ? undefined : facts.get(name)));
    const lookup = (name: string) => constants.get(name);
    const outputs = evaluateIfConstant(graph, node, inputs, lookup) ?? shapeOnly(node, inputs);
    if (outputs) {
      node.outputs.forEach((name, k) => {
        if (!name || !outputs[k]) return;
        constants.set(name, outputs[k]!);
        facts.set(name, { dims: outputs[k]!.dims, constant: outputs[k]! });
      });
      continue;
    }
    kept.push(node);
    outputDims(graph, node, inputs, lookup).forEach((dims, k) => {
      const name = node.outputs[k];
      if (name && dims) facts.set(name, { dims });
    });
  }
  const dims = new Map([...facts].map(([name, f]) => [name, f.dims]));
  return { graph: { ...graph, nodes: kept, constants, input: { name: graph.input.name, dims: inputDims } }, dims };
}

/** The node's outputs when every input is a constant and the operator has a dense form. */
function evaluateIfConstant({ opset, limits }: OnnxGraph, node: OnnxNode, inputs: readonly (ValueFacts | undefined)[], constant: (name: string) => Tensor | undefined): Tensor[] | undefined {
  const record = operatorRecord(node.opType);
  const present = node.inputs.every((name, k) => name === '' || inputs[k]?.constant !== undefined);
  if (!record?.dense || !present || node.outputs.length === 0) return undefined;
  return record.dense(node, opset, constant, limits.maxTensorElements)(inputs.map((v) => v?.constant));
}

/** `Shape` and `Size` need only their input's dims, not its data. */
function shapeOnly(node: OnnxNode, inputs: readonly (ValueFacts | undefined)[]): Tensor[] | undefined {
  const dims = inputs[0]?.dims;
  if (!dims) return undefined;
  if (node.opType === 'Shape') {
    const shape = shapeOfDims(node, dims);
    return [tensorOf([shape.length], Float32Array.from(shape), true)];
  }
  if (node.opType === 'Size') return [tensorOf([], Float32Array.of(sizeOf(dims)), true)];
  return undefined;
}

/** Output dims from the operator's shape rule, else by evaluating it on zeros when its inputs are small. */
function outputDims({ opset, limits }: OnnxGraph, node: OnnxNode, inputs: readonly (ValueFacts | undefined)[], constant: (name: string) => Tensor | undefined): (readonly number[] | undefined)[] {
  const record = operatorRecord(node.opType);
  const known = node.inputs.every((name, k) => name === '' || inputs[k] !== undefined);
  if (!record || !known) return [];
  if (record.shape) {
    try {
      return record.shape(node, inputs, opset);
    } catch (error) {
      if (error instanceof ModelImportError) throw error;
      throw new ModelImportError(`${node.opType} node '${node.name}': cannot work out its output shape from inputs [${inputs.map((v) => (v ? `[${v.dims.join(', ')}]` : '-')).join(', ')}]: ${(error as Error).message}`);
    }
  }
  if (!record.dense || inputs.some((v) => v && !v.constant && sizeOf(v.dims) > PROBE_LIMIT)) return [];
  try {
    const probes = inputs.map((v) => v && (v.constant ?? tensorOf(v.dims, new Float32Array(sizeOf(v.dims)))));
    return record.dense(node, opset, constant, limits.maxTensorElements)(probes).map((t) => t.dims);
  } catch {
    return []; // data-dependent (or undefined on zeros): known only at run time
  }
}
