/**
 * The model's graph as plain data: nodes in topological order, constant tensors (initializers,
 * `Constant` nodes, bound inputs), the one dynamic input and the outputs with their declared shapes.
 */
import type { Activation } from '../types.js';
import { DEFAULT_MAX_TENSOR_ELEMENTS, maxTensorElementsOf } from '../kernels/validate-geometry.js';
import { ModelImportError } from './errors.js';
import { tensorFromProto, toNumber, type AttributeProto, type ModelProto, type NodeProto, type ValueInfoProto } from './onnx-proto.js';
import type { Tensor } from './tensor.js';

export interface ValueInfo {
  readonly name: string;
  /** Declared dimensions; `undefined` for a symbolic or missing dimension. */
  readonly dims: readonly (number | undefined)[];
}

export interface OnnxNode {
  /** The node's name, or `OpType #k` (the k-th node of that type in the file) when the file leaves it empty. */
  readonly name: string;
  readonly opType: string;
  /** Input value names; `''` marks an omitted optional input. */
  inputs: string[];
  outputs: string[];
  readonly attributes: NodeAttributes;
  /** Set by `optimizeGraph` on an RRM layer (Conv, Gemm, MatMul, ConvTranspose): a following activation computed in the same layer. */
  fusedActivation?: { readonly activation: Activation; readonly alpha: number };
  /** Set by `optimizeGraph` on Gemm/MatMul: a following per-output constant Add/Sub, ONNX shape `[N]`. */
  fusedBias?: Float32Array;
}

/** What the model may make rx-rrm allocate (see `LoadOnnxOptions`). */
export interface GraphLimits {
  /** Largest number of values of any one tensor: initializers, folded constants, layer buffers. */
  readonly maxTensorElements: number;
}

export interface OnnxGraph {
  readonly nodes: OnnxNode[];
  readonly constants: Map<string, Tensor>;
  readonly input: ValueInfo;
  readonly outputs: readonly ValueInfo[];
  /** Version of the default ("ai.onnx") operator set. */
  readonly opset: number;
  readonly limits: GraphLimits;
}

/** Typed access to a node's attributes with ONNX defaults. */
export class NodeAttributes {
  private readonly byName: Map<string, AttributeProto>;
  constructor(
    attributes: readonly AttributeProto[],
    private readonly maxTensorElements: number = DEFAULT_MAX_TENSOR_ELEMENTS,
  ) {
    this.byName = new Map(attributes.map((a) => [a.name ?? '', a]));
  }
  has(name: string): boolean {
    return this.byName.has(name);
  }
  int(name: string, fallback: number): number {
    const a = this.byName.get(name);
    return a ? toNumber(a.i) : fallback;
  }
  float(name: string, fallback: number): number {
    const a = this.byName.get(name);
    return a ? (a.f ?? fallback) : fallback;
  }
  ints(name: string): number[] | undefined {
    const a = this.byName.get(name);
    return a ? (a.ints ?? []).map(toNumber) : undefined;
  }
  floats(name: string): number[] | undefined {
    const a = this.byName.get(name);
    return a ? [...(a.floats ?? [])] : undefined;
  }
  string(name: string, fallback: string): string {
    const a = this.byName.get(name);
    return a?.s ? new TextDecoder().decode(a.s) : fallback;
  }
  tensor(name: string): Tensor | undefined {
    const a = this.byName.get(name);
    return a?.t ? tensorFromProto(a.t, this.maxTensorElements) : undefined;
  }
}

export interface GraphOptions {
  /** Graph inputs to treat as constants (e.g. weights that a test model takes as inputs). */
  readonly bindInputs?: Readonly<Record<string, Tensor>>;
  /**
   * Largest number of values of any one tensor the model may make rx-rrm allocate (initializers,
   * folded constants, each layer's buffers for the input size, padding included); default 2^26.
   */
  readonly maxTensorElements?: number;
}

export function readGraph(model: ModelProto, options: GraphOptions = {}): OnnxGraph {
  const graph = model.graph!;
  let maxTensorElements: number;
  try {
    maxTensorElements = maxTensorElementsOf(options);
  } catch (error) {
    throw new ModelImportError(`loadOnnx: ${(error as Error).message}`);
  }
  const opset = toNumber((model.opsetImport ?? []).find((o) => !o.domain || o.domain === 'ai.onnx')?.version) || 1;
  const constants = new Map<string, Tensor>();
  for (const initializer of graph.initializer ?? []) constants.set(initializer.name ?? '', tensorFromProto(initializer, maxTensorElements));
  for (const [name, tensor] of Object.entries(options.bindInputs ?? {})) constants.set(name, tensor);

  // Older IR versions list initializers among the inputs: those are weights, not model inputs.
  const dynamicInputs = (graph.input ?? []).filter((i) => !constants.has(i.name ?? ''));
  if (dynamicInputs.length !== 1) {
    throw new ModelImportError(
      `rx-rrm runs models with exactly one image input; this model has ${dynamicInputs.length} (${dynamicInputs.map((i) => i.name).join(', ') || 'none'}). Bind the others as constants with loadOnnx(…, { bindInputs })`,
    );
  }
  const nodes: OnnxNode[] = [];
  const nameOf = unnamedNodeNames(graph.node ?? []);
  for (const proto of graph.node ?? []) {
    const node = toNode(proto, nameOf, maxTensorElements);
    if (node.opType === 'Constant') {
      constants.set(node.outputs[0]!, constantValue(node));
      continue;
    }
    nodes.push(node);
  }
  const input = valueInfo(dynamicInputs[0]!);
  const outputs = (graph.output ?? []).map(valueInfo);
  const ordered = topologicalOrder(nodes, new Set([input.name, ...constants.keys(), '']));
  checkOutputsProduced(outputs, ordered, input, constants);
  return { nodes: ordered, constants, input, outputs, opset, limits: { maxTensorElements } };
}

/** A graph output that nothing computes would only be found at the first frame: refuse it at load. */
function checkOutputsProduced(outputs: readonly ValueInfo[], nodes: readonly OnnxNode[], input: ValueInfo, constants: ReadonlyMap<string, Tensor>): void {
  if (outputs.length === 0) throw new ModelImportError('the graph declares no outputs: expected at least one');
  const produced = new Set<string>([input.name, ...constants.keys()]);
  for (const node of nodes) node.outputs.forEach((o) => produced.add(o));
  const missing = outputs.filter((o) => !produced.has(o.name));
  if (missing.length > 0) {
    throw new ModelImportError(
      `graph output ${missing.map((o) => `'${o.name}'`).join(', ')} is not produced by any node, initializer or input: expected the name of a node's output`,
    );
  }
}

/**
 * Names for nodes the file leaves unnamed (exporters often do): `Conv #5` is the fifth Conv of the
 * file. Readable in tables and plots, stable for a given file (thresholds files are keyed by it),
 * and never one of the names the file does give.
 */
function unnamedNodeNames(protos: readonly NodeProto[]): (proto: NodeProto) => string {
  const given = new Set(protos.map((p) => p.name).filter(Boolean));
  const seen = new Map<string, number>();
  const names = new Map<NodeProto, string>();
  for (const proto of protos) {
    const opType = proto.opType ?? '';
    const k = (seen.get(opType) ?? 0) + 1;
    seen.set(opType, k);
    if (proto.name) continue;
    let name = `${opType} #${k}`;
    while (given.has(name)) name += "'";
    names.set(proto, name);
  }
  return (proto) => proto.name || names.get(proto)!;
}

function toNode(proto: NodeProto, nameOf: (proto: NodeProto) => string, maxTensorElements: number): OnnxNode {
  const opType = proto.opType ?? '';
  const outputs = [...(proto.output ?? [])];
  if (proto.domain && proto.domain !== 'ai.onnx') {
    throw new ModelImportError(`node '${nameOf(proto)}': operator ${proto.domain}.${opType} is from a custom domain; only the default ONNX domain is supported`);
  }
  return {
    name: nameOf(proto),
    opType,
    inputs: [...(proto.input ?? [])],
    outputs,
    attributes: new NodeAttributes(proto.attribute ?? [], maxTensorElements),
  };
}

function constantValue(node: OnnxNode): Tensor {
  const a = node.attributes;
  const tensor = a.tensor('value');
  if (tensor) return tensor;
  if (a.has('value_float')) return { dims: [], data: Float32Array.of(a.float('value_float', 0)) };
  if (a.has('value_int')) return { dims: [], data: Float32Array.of(a.int('value_int', 0)), integer: true };
  const floats = a.floats('value_floats');
  if (floats) return { dims: [floats.length], data: Float32Array.from(floats) };
  const ints = a.ints('value_ints');
  if (ints) return { dims: [ints.length], data: Float32Array.from(ints), integer: true };
  throw new ModelImportError(`Constant node '${node.name}': only value, value_float(s) and value_int(s) are supported`);
}

function valueInfo(info: ValueInfoProto): ValueInfo {
  const dims = info.type?.tensorType?.shape?.dim ?? [];
  return {
    name: info.name ?? '',
    dims: dims.map((d) => (d.dimValue !== undefined && d.dimValue !== null && toNumber(d.dimValue) > 0 ? toNumber(d.dimValue) : undefined)),
  };
}

/**
 * Kahn's order with a queue, linear in nodes and edges: a node runs once all its inputs exist.
 * Files are usually sorted already, but a reversed one must not cost quadratic time.
 */
function topologicalOrder(nodes: readonly OnnxNode[], available: ReadonlySet<string>): OnnxNode[] {
  // Per node, how many distinct inputs are still missing; per value, the nodes waiting for it.
  const missing = new Int32Array(nodes.length);
  const waiting = new Map<string, number[]>();
  const queue: number[] = [];
  nodes.forEach((node, k) => {
    node.inputs.forEach((input, position) => {
      if (available.has(input) || node.inputs.indexOf(input) !== position) return;
      missing[k]!++;
      const list = waiting.get(input);
      if (list) list.push(k);
      else waiting.set(input, [k]);
    });
    if (missing[k] === 0) queue.push(k);
  });
  const ordered: OnnxNode[] = [];
  for (let head = 0; head < queue.length; head++) {
    const node = nodes[queue[head]!]!;
    ordered.push(node);
    for (const output of node.outputs) {
      const readers = waiting.get(output);
      if (!readers) continue;
      waiting.delete(output); // a value is produced once: a second producer wakes no one twice
      for (const reader of readers) if (--missing[reader]! === 0) queue.push(reader);
    }
  }
  if (ordered.length < nodes.length) {
    const node = nodes[missing.findIndex((count) => count > 0)]!;
    throw new ModelImportError(
      `node '${node.name}' (${node.opType}) needs input '${node.inputs.find((i) => waiting.has(i))}', which no node, initializer or input provides (or the graph has a cycle)`,
    );
  }
  return ordered;
}

/** How many nodes read each value (graph outputs count as readers). */
export function consumerCounts(graph: Pick<OnnxGraph, 'nodes' | 'outputs'>): Map<string, number> {
  const counts = new Map<string, number>();
  const add = (name: string) => counts.set(name, (counts.get(name) ?? 0) + 1);
  for (const node of graph.nodes) node.inputs.forEach(add);
  for (const output of graph.outputs) add(output.name);
  return counts;
}
