/**
 * Load-time rewriting of the graph so that it runs as few, cheaper layers:
 * constant folding; BatchNormalization and per-channel Add/Sub/Mul/Div folded into the preceding
 * conv's weights and bias; constant Add/Sub after Gemm/MatMul folded into its bias; `x·sigmoid(x)`
 * recognized as SiLU; ShuffleNet's Reshape-Transpose-Reshape recognized as one ChannelShuffle; and
 * an activation after an RRM layer fused into it (the layer then applies it only where its
 * projection changed).
 * A producer is only rewritten when its output has no other reader (and is not a graph output).
 */
import { batchNormCoefficients } from './dense-ops.js';
import { unaryOf } from './elementwise-functions.js';
import { consumerCounts, NodeAttributes, type OnnxGraph, type OnnxNode } from './graph.js';
import { denseEvaluator, hasDenseForm, isFusable, isLinear } from './op-table.js';
import { reshapeDims, sizeOf, type Tensor } from './tensor.js';

/** Rewrites `graph` in place (its node objects included) and returns it with the remaining nodes. */
export function optimizeGraph(graph: OnnxGraph): OnnxGraph {
  foldConstants(graph);
  const shuffled = { ...graph, nodes: fuseChannelShuffles(graph, graph.nodes) };
  const uses = new ValueUses(shuffled);
  rewritePairs(shuffled, uses, (op) => op === 'Conv', foldAffineIntoConv);
  rewritePairs(shuffled, uses, (op) => op === 'Gemm' || op === 'MatMul', foldBiasIntoLinear);
  rewritePairs(shuffled, uses, (op) => op === 'Sigmoid', fuseSilu);
  rewritePairs(shuffled, uses, isLinear, fuseActivation);
  return { ...shuffled, nodes: shuffled.nodes.filter((n) => !uses.removed.has(n)) };
}

/** Evaluates every node whose inputs are all constants (weights reshaped or transposed by the exporter). */
function foldConstants(graph: OnnxGraph): void {
  const constant = (name: string) => graph.constants.get(name);
  const kept: OnnxNode[] = [];
  const outputs = new Set(graph.outputs.map((o) => o.name));
  for (const node of graph.nodes) {
    const foldable =
      hasDenseForm(node.opType) && node.outputs.length === 1 && !outputs.has(node.outputs[0]!) &&
      node.inputs.every((i) => i === '' || graph.constants.has(i));
    if (!foldable) {
      kept.push(node);
      continue;
    }
    const inputs = node.inputs.map((i) => (i === '' ? undefined : graph.constants.get(i)));
    graph.constants.set(node.outputs[0]!, denseEvaluator(node, graph.opset, constant, graph.limits.maxTensorElements)(inputs)[0]!);
  }
  // (A loop, not splice(...kept): a spread of a huge node list overflows the call stack.)
  graph.nodes.length = 0;
  for (const node of kept) graph.nodes.push(node);
}

type PairRewrite = (graph: OnnxGraph, producer: OnnxNode, consumer: OnnxNode) => boolean;

/**
 * Who reads and who produces each value, kept up to date through every rewrite of `optimizeGraph`
 * (built once: rebuilding it per rewrite made loading quadratic in the node count).
 */
class ValueUses {
  readonly removed = new Set<OnnxNode>();
  /** Readers of each value, graph outputs counted; removed nodes are subtracted as they go. */
  readonly counts: Map<string, number>;
  readonly graphOutputs: ReadonlySet<string>;
  private readonly readers = new Map<string, OnnxNode[]>();
  private readonly producers = new Map<string, OnnxNode>();

  constructor(graph: OnnxGraph) {
    this.counts = consumerCounts(graph);
    this.graphOutputs = new Set(graph.outputs.map((o) => o.name));
    for (const node of graph.nodes) {
      for (const input of node.inputs) {
        const list = this.readers.get(input);
        if (list) list.push(node);
        else this.readers.set(input, [node]);
      }
      for (const output of node.outputs) this.producers.set(output, node);
    }
  }

  /** The one live reader of `value`, when it has exactly one and is not a graph output. */
  soleReader(value: string): OnnxNode | undefined {
    if (this.counts.get(value) !== 1 || this.graphOutputs.has(value)) return undefined;
    return this.readers.get(value)?.find((reader) => !this.removed.has(reader));
  }

  /**
   * Records that `producer` absorbed `consumer` (whose inputs were `consumerInputs`); returns the
   * producers whose output lost a reader and now has exactly one.
   */
  absorb(producer: OnnxNode, consumer: OnnxNode, consumerInputs: readonly string[]): OnnxNode[] {
    this.removed.add(consumer);
    const revisit: OnnxNode[] = [];
    for (const input of consumerInputs) {
      const left = (this.counts.get(input) ?? 1) - 1;
      this.counts.set(input, left);
      const other = this.producers.get(input);
      if (left === 1 && other && other !== producer && !this.removed.has(other)) revisit.push(other);
    }
    for (const output of producer.outputs) this.producers.set(output, producer);
    return revisit;
  }
}

/**
 * Applies `rewrite` to every producer whose op type passes `isProducer` whose single output has exactly one
 * reader; a successful rewrite absorbs the reader (the producer takes over its outputs), and is
 * retried for chains. A worklist keeps this linear in the graph's size: a rewrite changes only its
 * producer and the reader counts of the absorbed node's inputs, so only those producers are looked
 * at again.
 */
function rewritePairs(graph: OnnxGraph, uses: ValueUses, isProducer: (opType: string) => boolean, rewrite: PairRewrite): void {
  const queue = graph.nodes.filter((n) => isProducer(n.opType) && !uses.removed.has(n));
  for (let head = 0; head < queue.length; head++) {
    const producer = queue[head]!;
    if (uses.removed.has(producer) || producer.outputs.length !== 1) continue;
    const consumer = uses.soleReader(producer.outputs[0]!);
    if (!consumer) continue;
    const consumerInputs = [...consumer.inputs];
    if (!rewrite(graph, producer, consumer)) continue;
    for (const other of uses.absorb(producer, consumer, consumerInputs)) if (isProducer(other.opType)) queue.push(other);
    queue.push(producer); // chains: the producer may absorb its new reader too
  }
}

/** A constant that broadcasts over `[1, C, H, W]` one value per channel, as `C` values; else undefined. */
function perChannel(t: Tensor, channels: number): Float32Array | undefined {
  if (t.dims.length > 4) return undefined;
  const dims = [...new Array<number>(4 - t.dims.length).fill(1), ...t.dims];
  if (dims[0] !== 1 || dims[2] !== 1 || dims[3] !== 1 || (dims[1] !== 1 && dims[1] !== channels)) return undefined;
  return dims[1] === 1 ? new Float32Array(channels).fill(t.data[0]!) : t.data;
}

/** The other input of a binary node when it is a constant, and whether it is the left operand. */
function constantOperand(graph: OnnxGraph, consumer: OnnxNode, value: string): { tensor: Tensor; left: boolean } | undefined {
  if (consumer.inputs.length !== 2) return undefined;
  const otherIndex = consumer.inputs[0] === value ? 1 : 0;
  if (consumer.inputs[1 - otherIndex] !== value) return undefined;
  const tensor = graph.constants.get(consumer.inputs[otherIndex]!);
  return tensor && { tensor, left: otherIndex === 0 };
}

function foldAffineIntoConv(graph: OnnxGraph, conv: OnnxNode, consumer: OnnxNode): boolean {
  if (conv.opType !== 'Conv' || conv.fusedActivation) return false;
  const weight = graph.constants.get(conv.inputs[1] ?? '');
  if (!weight || weight.dims.length !== 4) return false;
  const outChannels = weight.dims[0]!;
  const bias = conv.inputs[2] ? graph.constants.get(conv.inputs[2]) : undefined;
  if (conv.inputs[2] && !bias) return false;
  // y = scale·(W·x + b) + shift, per output channel
  let scale: Float32Array | undefined;
  let shift: Float32Array | undefined;
  if (consumer.opType === 'BatchNormalization') {
    if (consumer.outputs.length !== 1 || consumer.attributes.int('training_mode', 0) === 1) return false;
    const inputs = consumer.inputs.map((i) => graph.constants.get(i));
    if (inputs.slice(1).some((t) => !t || t.data.length !== outChannels)) return false;
    ({ scale, shift } = batchNormCoefficients(consumer, inputs));
  } else {
    const operand = constantOperand(graph, consumer, conv.outputs[0]!);
    const k = operand && perChannel(operand.tensor, outChannels);
    if (!operand || !k) return false;
    const ones = new Float32Array(outChannels).fill(1);
    const zeros = new Float32Array(outChannels);
    switch (consumer.opType) {
      case 'Add': [scale, shift] = [ones, k]; break;
      case 'Sub': [scale, shift] = operand.left ? [ones.map(() => -1), k] : [ones, k.map((v) => -v)]; break;
      case 'Mul': [scale, shift] = [k, zeros]; break;
      case 'Div': if (operand.left) return false; [scale, shift] = [k.map((v) => 1 / v), zeros]; break;
      default: return false;
    }
  }
  const perOutput = sizeOf(weight.dims.slice(1));
  const newWeight = weight.data.map((w, i) => w * scale![Math.floor(i / perOutput)]!);
  const newBias = Float32Array.from({ length: outChannels }, (_, o) => (bias?.data[o] ?? 0) * scale![o]! + shift![o]!);
  const weightName = `${conv.name}/folded_weight_${consumer.name}`;
  const biasName = `${conv.name}/folded_bias_${consumer.name}`;
  graph.constants.set(weightName, { dims: weight.dims, data: newWeight });
  graph.constants.set(biasName, { dims: [outChannels], data: newBias });
  conv.inputs = [conv.inputs[0]!, weightName, biasName];
  conv.outputs = consumer.outputs;
  return true;
}

function foldBiasIntoLinear(graph: OnnxGraph, linear: OnnxNode, consumer: OnnxNode): boolean {
  if ((linear.opType !== 'Gemm' && linear.opType !== 'MatMul') || linear.fusedActivation) return false;
  if (consumer.opType !== 'Add' && consumer.opType !== 'Sub') return false;
  const operand = constantOperand(graph, consumer, linear.outputs[0]!);
  if (!operand || (consumer.opType === 'Sub' && operand.left)) return false;
  const t = operand.tensor;
  // Per output feature only: [N], [1, N] or a scalar; N is only known through the constant itself.
  if (t.dims.length > 2 || (t.dims.length === 2 && t.dims[0] !== 1)) return false;
  const sign = consumer.opType === 'Sub' ? -1 : 1;
  const previous = linear.fusedBias;
  if (previous && previous.length !== t.data.length && t.data.length !== 1 && previous.length !== 1) return false;
  const length = Math.max(previous?.length ?? 1, t.data.length);
  linear.fusedBias = Float32Array.from({ length }, (_, j) => (previous ? previous[previous.length === 1 ? 0 : j]! : 0) + sign * t.data[t.data.length === 1 ? 0 : j]!);
  linear.outputs = consumer.outputs;
  return true;
}

function fuseSilu(_graph: OnnxGraph, sigmoid: OnnxNode, mul: OnnxNode): boolean {
  if (sigmoid.opType !== 'Sigmoid' || mul.opType !== 'Mul') return false;
  const x = sigmoid.inputs[0]!;
  const s = sigmoid.outputs[0]!;
  if (!((mul.inputs[0] === x && mul.inputs[1] === s) || (mul.inputs[0] === s && mul.inputs[1] === x))) return false;
  Object.assign(sigmoid, { opType: 'SiLU', name: `${sigmoid.name}+${mul.name}` });
  sigmoid.outputs = mul.outputs;
  return true;
}

function fuseActivation(graph: OnnxGraph, linear: OnnxNode, consumer: OnnxNode): boolean {
  if (!isLinear(linear.opType) || linear.fusedActivation) return false;
  if (!isFusable(consumer.opType) || consumer.outputs.length !== 1) return false;
  const unary = unaryOf(consumer, (name) => graph.constants.get(name));
  if (unary.kind !== 'core') return false;
  linear.fusedActivation = { activation: unary.activation, alpha: unary.alpha };
  linear.outputs = consumer.outputs;
  return true;
}

/**
 * ShuffleNet's channel shuffle, `x.view(n, g, C/g, h, w).transpose(1, 2).view(n, C, h, w)`: a
 * Reshape to 5-D, a Transpose of axes 1 and 2 and a Reshape back, each the only reader of the one
 * before, become one ChannelShuffle node (a per-pixel channel permutation on the delta path).
 */
function fuseChannelShuffles(graph: OnnxGraph, nodes: OnnxNode[]): OnnxNode[] {
  const counts = consumerCounts({ nodes, outputs: graph.outputs });
  const graphOutputs = new Set(graph.outputs.map((o) => o.name));
  const readerOf = new Map<string, OnnxNode>();
  for (const node of nodes) node.inputs.forEach((i) => readerOf.set(i, node));
  const single = (value: string) => (counts.get(value) === 1 && !graphOutputs.has(value) ? readerOf.get(value) : undefined);
  const target = (node: OnnxNode) => (node.opType === 'Reshape' ? graph.constants.get(node.inputs[1] ?? '') : undefined);
  const removed = new Set<OnnxNode>();
  for (const split of nodes) {
    const splitShape = target(split);
    if (!splitShape || splitShape.data.length !== 5 || splitShape.data[0] !== 1) continue;
    const transpose = single(split.outputs[0]!);
    if (transpose?.opType !== 'Transpose' || transpose.attributes.ints('perm')?.join() !== '0,2,1,3,4') continue;
    const merge = single(transpose.outputs[0]!);
    const mergeShape = merge && target(merge);
    if (!merge || !mergeShape || mergeShape.data.length !== 4) continue;
    const [, groups, perGroup, height, width] = Array.from(splitShape.data) as [number, number, number, number, number];
    const channels = groups * perGroup;
    let merged: number[];
    try {
      merged = reshapeDims([1, perGroup, groups, height, width], Array.from(mergeShape.data), merge.attributes.int('allowzero', 0) === 1, 'ChannelShuffle');
    } catch {
      continue;
    }
    if (merged.join() !== [1, channels, height, width].join()) continue;
    Object.assign(split, {
      opType: 'ChannelShuffle',
      name: `${split.name}+${transpose.name}+${merge.name}`,
      attributes: new NodeAttributes([{ name: 'groups', i: groups }, { name: 'channels', i: channels }]),
    });
    split.inputs = [split.inputs[0]!];
    split.outputs = merge.outputs;
    removed.add(transpose).add(merge);
  }
  return nodes.filter((n) => !removed.has(n));
}
