/**
 * The ONNX backend conformance suite (Debian `libonnx-testdata`): each case is a one-operator model
 * plus input and expected output TensorProtos. Reads the cases that exercise a given set of operators.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { decodeTensor } from '../../src/model/onnx-proto.js';
import type { Tensor } from '../../src/model/tensor.js';

/** Debian's location; ONNX_CONFORMANCE_DIR points elsewhere (another install, or none: .ci/run's first pass). */
export const CONFORMANCE_DIR = process.env.ONNX_CONFORMANCE_DIR ?? '/usr/share/libonnx-testdata/data/node';
/** A tap `skip` value: why the conformance cases cannot run here, or false. */
export const conformanceMissing = !existsSync(CONFORMANCE_DIR) && `the ONNX conformance data is not installed (Debian package libonnx-testdata, ${CONFORMANCE_DIR})`;

export interface ConformanceCase {
  readonly name: string;
  readonly dir: string;
  readonly model: Uint8Array;
  /** Operator types in the model's graph. */
  readonly operators: readonly string[];
  /** Graph inputs that are not initializers, in order, with their tensors (undefined when the data is not numeric). */
  readonly inputs: readonly { name: string; tensor: Tensor | undefined; elementType: number }[];
  readonly expected: readonly { name: string; tensor: Tensor | undefined; elementType: number }[];
}

const FLOAT = 1;

/** Non-`_expanded` cases whose graph contains one of `operators`. */
export function conformanceCases(operators: readonly string[]): ConformanceCase[] {
  if (!existsSync(CONFORMANCE_DIR)) return [];
  const cases: ConformanceCase[] = [];
  for (const name of readdirSync(CONFORMANCE_DIR).sort()) {
    if (name.endsWith('_expanded')) continue;
    const dir = join(CONFORMANCE_DIR, name);
    const modelPath = join(dir, 'model.onnx');
    const dataDir = join(dir, 'test_data_set_0');
    if (!existsSync(modelPath) || !existsSync(dataDir)) continue;
    const model = readFileSync(modelPath);
    const proto = onnxProto.onnx.ModelProto.decode(model);
    const graph = proto.graph!;
    const ops = [...new Set((graph.node ?? []).map((n) => n.opType ?? ''))];
    if (!ops.some((op) => operators.includes(op) && op !== 'Constant')) continue;
    const initializers = new Set((graph.initializer ?? []).map((i) => i.name));
    const read = (file: string) => {
      try {
        return decodeTensor(readFileSync(join(dataDir, file))).tensor;
      } catch {
        return undefined; // sequences, optionals, strings: not tensors rx-rrm takes
      }
    };
    const inputs = (graph.input ?? []).filter((i) => !initializers.has(i.name ?? '')).map((info, k) => ({
      name: info.name ?? '', tensor: read(`input_${k}.pb`), elementType: info.type?.tensorType?.elemType ?? 0,
    }));
    const expected = (graph.output ?? []).map((info, k) => ({
      name: info.name ?? '', tensor: read(`output_${k}.pb`), elementType: info.type?.tensorType?.elemType ?? 0,
    }));
    cases.push({ name, dir, model, operators: ops, inputs, expected });
  }
  return cases;
}

export const isFloat = (elementType: number) => elementType === FLOAT;
