/**
 * Writes small ONNX models for tests with the onnx-proto (protobufjs) message classes: a list of
 * nodes, float initializers, one float input and named outputs.
 */
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

export type AttributeValue = number | number[] | string | { readonly float: number } | { readonly floats: number[] } | { readonly tensor: InitializerSpec };

export interface NodeSpec {
  readonly op: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly name?: string;
  /** Integers become INT/INTS; use `{ float }`/`{ floats }` for FLOAT/FLOATS, `{ tensor }` for a TENSOR. */
  readonly attributes?: Readonly<Record<string, AttributeValue>>;
}

export interface InitializerSpec {
  readonly dims: readonly number[];
  readonly data: ArrayLike<number>;
  /** Default float; 'int64' for shapes. */
  readonly type?: 'float' | 'int64';
}

export interface GraphSpec {
  /** A string dim is symbolic (a `dim_param`): any size. */
  readonly input: { readonly name: string; readonly dims: readonly (number | string)[] };
  readonly outputs: readonly string[];
  /** Element types of outputs that are not float (indices, masks). */
  readonly outputTypes?: Readonly<Record<string, 'int64' | 'bool'>>;
  readonly nodes: readonly NodeSpec[];
  readonly initializers?: Readonly<Record<string, InitializerSpec>>;
  readonly opset?: number;
  /** List initializers among the graph inputs too, as IR version 3 exporters did. */
  readonly initializersAsInputs?: boolean;
}

function attribute(name: string, value: AttributeValue): onnxProto.onnx.IAttributeProto {
  const { AttributeType } = onnx.AttributeProto;
  if (typeof value === 'string') return { name, type: AttributeType.STRING, s: new TextEncoder().encode(value) };
  if (typeof value === 'number') return { name, type: AttributeType.INT, i: value };
  if (Array.isArray(value)) return { name, type: AttributeType.INTS, ints: value };
  if ('float' in value) return { name, type: AttributeType.FLOAT, f: value.float };
  if ('tensor' in value) return { name, type: AttributeType.TENSOR, t: tensorProto(name, value.tensor) };
  return { name, type: AttributeType.FLOATS, floats: value.floats };
}

export function tensorProto(name: string, spec: InitializerSpec): onnxProto.onnx.ITensorProto {
  if (spec.type === 'int64') {
    return { name, dims: [...spec.dims], dataType: onnx.TensorProto.DataType.INT64, int64Data: Array.from(spec.data) };
  }
  const bytes = new Uint8Array(Float32Array.from(spec.data).buffer);
  return { name, dims: [...spec.dims], dataType: onnx.TensorProto.DataType.FLOAT, rawData: bytes };
}

const { DataType } = onnx.TensorProto;
const tensorType = (elemType: number, dims?: readonly (number | string)[]): onnxProto.onnx.ITypeProto => ({
  tensorType: { elemType, ...(dims ? { shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) } } : {}) },
});
const floatType = (dims?: readonly (number | string)[]) => tensorType(DataType.FLOAT, dims);

export function buildModel(spec: GraphSpec): Uint8Array {
  const initializers = Object.entries(spec.initializers ?? {}).map(([name, t]) => tensorProto(name, t));
  const model = onnx.ModelProto.create({
    irVersion: spec.initializersAsInputs ? 3 : 8,
    producerName: 'rx-rrm tests',
    opsetImport: [{ domain: '', version: spec.opset ?? 13 }],
    graph: {
      name: 'test',
      node: spec.nodes.map((n, k) => ({
        opType: n.op,
        name: n.name ?? `${n.op.toLowerCase()}${k}`,
        input: [...n.inputs],
        output: [...n.outputs],
        attribute: Object.entries(n.attributes ?? {}).map(([name, value]) => attribute(name, value)),
      })),
      initializer: initializers,
      input: [
        { name: spec.input.name, type: floatType(spec.input.dims) },
        ...(spec.initializersAsInputs ? initializers.map((t) => ({ name: t.name, type: floatType(t.dims as number[]) })) : []),
      ],
      output: spec.outputs.map((name) => {
        const type = spec.outputTypes?.[name];
        return { name, type: type ? tensorType(type === 'int64' ? DataType.INT64 : DataType.BOOL) : floatType() };
      }),
    },
  });
  return onnx.ModelProto.encode(model).finish();
}

/** Seeded weights in [-scale, scale]. */
export function weights(random: () => number, dims: readonly number[], scale = 0.5): InitializerSpec {
  const count = dims.reduce((a, b) => a * b, 1);
  return { dims, data: Float32Array.from({ length: count }, () => (random() * 2 - 1) * scale) };
}
