// ONNX backend conformance: every case of the suite that exercises a supported operator, run through
// loadOnnx and compared with the suite's expected outputs. The case's first input is the image
// stream; its other inputs (weights, second operands) are bound as constants. Each case runs two
// frames, a perturbed input then the real one, so the compared output comes from the delta path.
import { firstValueFrom, from, toArray } from 'rxjs';
import t from 'tap';
import { SUPPORTED_OPERATORS } from '../../src/model/index.js';
import { modelFromBytes } from '../../src/model/model.js';
import { ModelImportError } from '../../src/model/errors.js';
import { readGraph } from '../../src/model/graph.js';
import { nchwToHwc } from '../../src/model/layout.js';
import { decodeModel } from '../../src/model/onnx-proto.js';
import { checkSupported, denseEvaluator, hasDenseForm } from '../../src/model/op-table.js';
import type { Tensor } from '../../src/model/tensor.js';
import type { FeatureMap } from '../../src/types.js';
import { conformanceCases, conformanceMissing, isFloat, type ConformanceCase } from '../helpers/onnx-conformance.js';
import { referenceSession } from '../helpers/onnx-runtime.js';

const TOLERANCE = 1e-4;

/**
 * Cases where onnxruntime, the reference rx-rrm's models are checked against, computes something
 * else than the suite's expected output: rx-rrm follows onnxruntime there, and is compared with it.
 */
const ONNXRUNTIME_DEVIATIONS: Readonly<Record<string, string>> = {
  test_resize_downsample_scales_linear_align_corners: 'align_corners with a fractional output length (4 x 0.6 = 2.4): onnxruntime divides by the integer output length, 2',
};

/** The case's expected outputs: the suite's, or onnxruntime's for a listed deviation. */
async function expectedOutputs(c: ConformanceCase): Promise<{ name: string; tensor: Tensor }[]> {
  if (!ONNXRUNTIME_DEVIATIONS[c.name]) return c.expected.map((e) => ({ name: e.name, tensor: e.tensor! }));
  const session = await referenceSession(c.model);
  try {
    const [first, ...bound] = c.inputs;
    const results = await session.run(first!.tensor!, Object.fromEntries(bound.map((i) => [i.name, i.tensor!])));
    return c.expected.map((e) => ({ name: e.name, tensor: results[e.name]! }));
  } finally {
    await session.release();
  }
}

/** Why a case is out of rx-rrm's scope, or undefined when it applies. */
function notApplicable(c: ConformanceCase): string | undefined {
  const unsupported = c.operators.filter((op) => !SUPPORTED_OPERATORS.includes(op));
  if (unsupported.length > 0) return `uses unsupported operators (${unsupported.join(', ')})`;
  // Bound inputs may be integer (Reshape's shape); the streamed input and the outputs must be float.
  if (c.inputs.some((v) => !v.tensor) || [c.inputs[0]!, ...c.expected].some((v) => !isFloat(v.elementType) || !v.tensor)) {
    return 'non-float image input or output (integer, bool, sequence or optional types)';
  }
  const dims = c.inputs[0]?.tensor?.dims ?? [];
  if (dims[0] !== 1) return dims.length === 4 || dims.length === 2 ? 'batch > 1' : `input is ${dims.length}-D, not a batch-1 NCHW image`;
  if (dims.length !== 4 && dims.length !== 2) return `input is ${dims.length}-D, not a batch-1 NCHW image`;
  return undefined;
}

function inputMap(data: Float32Array, dims: readonly number[], index: number): FeatureMap {
  const [, channels = 1, height = 1, width = 1] = dims;
  return { data: nchwToHwc(data, channels, height, width), height, width, channels, index, timestamp: index * 40, keyframe: false, stats: [] };
}

async function runCase(c: ConformanceCase): Promise<{ worst: number; details: string }> {
  const [first, ...bound] = c.inputs;
  const model = modelFromBytes(c.model, { bindInputs: Object.fromEntries(bound.map((i) => [i.name, i.tensor!])) });
  const input = first!.tensor!;
  const perturbed = input.data.map((v, i) => v + 0.25 * Math.sin(i));
  const outputs = await firstValueFrom(from([inputMap(perturbed, input.dims, 0), inputMap(input.data, input.dims, 1)]).pipe(model.operator(), toArray()));
  const last = outputs[1]!;
  let worst = 0;
  const details: string[] = [];
  for (const { name, tensor } of await expectedOutputs(c)) {
    const actual = last.outputs[name];
    if (!actual) throw new Error(`output '${name}' missing`);
    if (actual.dims.join() !== tensor!.dims.join()) throw new Error(`output '${name}' has dims [${actual.dims}] expected [${tensor!.dims}]`);
    const magnitude = Math.max(1, ...Array.from(tensor!.data, Math.abs));
    let diff = 0;
    for (let i = 0; i < tensor!.data.length; i++) diff = Math.max(diff, Math.abs(actual.data[i]! - tensor!.data[i]!));
    worst = Math.max(worst, diff / magnitude);
    details.push(`${name}: max |Δ| ${diff.toExponential(2)}`);
  }
  return { worst, details: details.join(', ') };
}

/** Runs every node of the case on dense ONNX-order tensors; undefined when an operator has no dense form. */
function denseCheck(c: ConformanceCase): { worst: number; details: string } | undefined {
  const [first, ...bound] = c.inputs;
  if (!first?.tensor || !c.expected.every((e) => e.tensor && isFloat(e.elementType))) return undefined;
  let graph;
  try {
    graph = readGraph(decodeModel(c.model), { bindInputs: Object.fromEntries(bound.map((i) => [i.name, i.tensor!])) });
    checkSupported(graph);
  } catch (error) {
    if (error instanceof ModelImportError) return undefined;
    throw error;
  }
  if (!graph.nodes.every((n) => hasDenseForm(n.opType))) return undefined;
  const values = new Map<string, Tensor>(graph.constants);
  values.set(first.name, first.tensor);
  for (const node of graph.nodes) {
    const evaluate = denseEvaluator(node, graph.opset, (name) => graph.constants.get(name));
    const outputs = evaluate(node.inputs.map((i) => (i === '' ? undefined : values.get(i))));
    node.outputs.forEach((name, k) => name && outputs[k] && values.set(name, outputs[k]!));
  }
  let worst = 0;
  const details: string[] = [];
  for (const { name, tensor } of c.expected) {
    const actual = values.get(name)!;
    if (actual.dims.join() !== tensor!.dims.join()) return { worst: Infinity, details: `${name}: dims [${actual.dims}] expected [${tensor!.dims}]` };
    const magnitude = Math.max(1, ...Array.from(tensor!.data, Math.abs));
    let diff = 0;
    for (let i = 0; i < tensor!.data.length; i++) diff = Math.max(diff, Math.abs(actual.data[i]! - tensor!.data[i]!));
    worst = Math.max(worst, diff / magnitude);
    details.push(`${name}: max |Δ| ${diff.toExponential(2)}`);
  }
  return { worst, details: details.join(', ') };
}

t.test('ONNX backend conformance cases of the supported operators', { skip: conformanceMissing }, async (t) => {
  const cases = conformanceCases(SUPPORTED_OPERATORS);
  const inapplicable = new Map<string, string[]>();
  let applicable = 0;
  let passing = 0;
  let denseApplicable = 0;
  let densePassing = 0;
  for (const c of cases) {
    let reason = notApplicable(c);
    if (reason === undefined) {
      try {
        modelFromBytes(c.model, { bindInputs: Object.fromEntries(c.inputs.slice(1).map((i) => [i.name, i.tensor!])) });
      } catch (error) {
        // Load-time refusals of out-of-scope forms (1-D/3-D windows, training mode, mask outputs) are n/a.
        if (!(error instanceof ModelImportError)) throw error;
        reason = error.message.replace(/node '[^']*'/, 'node');
      }
    }
    if (reason !== undefined) {
      inapplicable.set(reason, [...(inapplicable.get(reason) ?? []), c.name]);
      if (!reason.startsWith('input is') && reason !== 'batch > 1') continue;
      // Not an image stream, but the operator also runs on dense tensors (detection heads, constant
      // folding): check that path on the case instead, counted separately.
      const dense = denseCheck(c);
      if (dense === undefined) continue;
      denseApplicable++;
      t.ok(dense.worst <= TOLERANCE, `${c.name} on the dense tensor path: ${dense.details}`);
      if (dense.worst <= TOLERANCE) densePassing++;
      continue;
    }
    applicable++;
    try {
      const { worst, details } = await runCase(c);
      const against = ONNXRUNTIME_DEVIATIONS[c.name] ? ` against onnxruntime (${ONNXRUNTIME_DEVIATIONS[c.name]})` : '';
      t.ok(worst <= TOLERANCE, `${c.name} (${c.operators.join(', ')})${against}: ${details}`, { worst });
      if (worst <= TOLERANCE) passing++;
    } catch (error) {
      t.fail(`${c.name}: ${(error as Error).message}`);
    }
  }
  t.comment(`conformance: ${cases.length} cases found for the supported operators, ${applicable} applicable, ${passing} passing`);
  t.comment(`dense tensor path: ${denseApplicable} of the cases without an image input checked there, ${densePassing} passing`);
  for (const [reason, names] of inapplicable) t.comment(`n/a (${names.length}): ${reason}: ${names.join(' ')}`);
  t.ok(applicable >= 60, `at least 60 cases applicable to the image path (${applicable})`);
});
