/**
 * Decoding ONNX protobuf messages with the maintained `onnx-proto` classes (protobufjs), and turning
 * TensorProtos into plain `Tensor`s. No hand-written protobuf.
 */
import onnxProto from 'onnx-proto';
import { DEFAULT_MAX_TENSOR_ELEMENTS } from '../kernels/validate-geometry.js';
import { ModelImportError } from './errors.js';
import { tensorOf, type Tensor } from './tensor.js';

export const { onnx } = onnxProto;
export type ModelProto = onnxProto.onnx.ModelProto;
export type NodeProto = onnxProto.onnx.INodeProto;
export type TensorProto = onnxProto.onnx.ITensorProto;
export type AttributeProto = onnxProto.onnx.IAttributeProto;
export type ValueInfoProto = onnxProto.onnx.IValueInfoProto;

/** Decodes a model file's bytes; corrupt or truncated bytes give a `ModelImportError`. */
export function decodeModel(bytes: Uint8Array): ModelProto {
  let model: ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (error) {
    throw new ModelImportError(`not a valid ONNX model: protobuf decoding failed (${(error as Error).message})`);
  }
  if (!model.graph || (model.graph.node ?? []).length === 0) {
    throw new ModelImportError('not a valid ONNX model: it has no graph or the graph has no nodes');
  }
  return model;
}

/** Decodes one TensorProto file (the conformance suite's `input_0.pb`, ...). */
export function decodeTensor(bytes: Uint8Array): { name: string; tensor: Tensor } {
  const proto = onnx.TensorProto.decode(bytes);
  return { name: proto.name, tensor: tensorFromProto(proto) };
}

/** A protobuf int64 (number or Long) as a JS number. */
export function toNumber(value: number | { toNumber(): number } | null | undefined): number {
  if (value === null || value === undefined) return 0;
  return typeof value === 'number' ? value : value.toNumber();
}

const { DataType } = onnx.TensorProto;

/**
 * Float, double and integer tensors become float32 data (integers are shapes and indices: small, and
 * marked `integer`). The dims are checked before the data is allocated: non-negative integers, at
 * most `maxElements` values.
 */
export function tensorFromProto(proto: TensorProto, maxElements: number = DEFAULT_MAX_TENSOR_ELEMENTS): Tensor {
  const name = proto.name || '(unnamed)';
  if (proto.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL || (proto.externalData ?? []).length > 0) {
    const location = (proto.externalData ?? []).find((entry) => entry.key === 'location')?.value;
    throw new ModelImportError(
      `tensor '${name}' stores its data in an external file${location ? ` ('${location}')` : ''}; external data is not supported: re-save the model with all tensors inside the .onnx file`,
    );
  }
  const dims = (proto.dims ?? []).map(toNumber);
  if (!dims.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new ModelImportError(`tensor '${name}' has dims [${dims.join(', ')}]: expected integers ≥ 0`);
  }
  const count = dims.reduce((a, b) => a * b, 1);
  if (count > maxElements) {
    throw new ModelImportError(`tensor '${name}' has dims [${dims.join(', ')}] = ${count} values, more than maxTensorElements = ${maxElements} (a loadOnnx option)`);
  }
  const raw = proto.rawData && proto.rawData.length > 0 ? proto.rawData : undefined;
  const type = proto.dataType ?? DataType.UNDEFINED;
  // The data is allocated only once the file is known to hold that many values.
  let data: Float32Array;
  if (raw) {
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const width = byteWidth(type, name);
    if (raw.byteLength !== count * width) {
      throw new ModelImportError(`tensor '${name}': raw data has ${raw.byteLength} bytes, expected ${count} values of ${width} bytes for dims [${dims.join(', ')}]`);
    }
    data = new Float32Array(count);
    for (let i = 0; i < count; i++) data[i] = readRaw(view, type, i * width);
  } else {
    const values: ArrayLike<number | { toNumber(): number }> =
      type === DataType.FLOAT ? (proto.floatData ?? [])
      : type === DataType.DOUBLE ? (proto.doubleData ?? [])
      : type === DataType.INT64 ? (proto.int64Data ?? [])
      : (proto.int32Data ?? []); // int32, int8/16, uint8/16, bool are stored in int32_data
    byteWidth(type, name);
    if (values.length !== count) {
      throw new ModelImportError(`tensor '${name}': has ${values.length} values, expected ${count} for dims [${dims.join(', ')}]`);
    }
    data = new Float32Array(count);
    for (let i = 0; i < count; i++) data[i] = toNumber(values[i]);
  }
  return tensorOf(dims, data, type !== DataType.FLOAT && type !== DataType.DOUBLE && type !== DataType.FLOAT16);
}

function byteWidth(type: number, name: string): number {
  switch (type) {
    case DataType.FLOAT: case DataType.INT32: case DataType.UINT32: return 4;
    case DataType.DOUBLE: case DataType.INT64: case DataType.UINT64: return 8;
    case DataType.INT16: case DataType.UINT16: return 2;
    case DataType.INT8: case DataType.UINT8: case DataType.BOOL: return 1;
    default:
      throw new ModelImportError(`tensor '${name}': data type ${DataType[type] ?? type} is not supported (float, double and integer tensors are)`);
  }
}

function readRaw(view: DataView, type: number, offset: number): number {
  switch (type) {
    case DataType.FLOAT: return view.getFloat32(offset, true);
    case DataType.DOUBLE: return view.getFloat64(offset, true);
    case DataType.INT64: return Number(view.getBigInt64(offset, true));
    case DataType.UINT64: return Number(view.getBigUint64(offset, true));
    case DataType.INT32: return view.getInt32(offset, true);
    case DataType.UINT32: return view.getUint32(offset, true);
    case DataType.INT16: return view.getInt16(offset, true);
    case DataType.UINT16: return view.getUint16(offset, true);
    case DataType.INT8: return view.getInt8(offset);
    default: return view.getUint8(offset);
  }
}
