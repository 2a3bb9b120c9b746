/** Seeded damage for the file fuzz: Y4M streams, PNG/JPEG images and ONNX models. */
import onnxProto from 'onnx-proto';
import { PNG } from 'pngjs';
import jpeg from 'jpeg-js';
import { buildModel, weights } from '../helpers/onnx-builder.js';
import { prng } from '../helpers/random.js';

type Random = () => number;
const pick = <T>(random: Random, list: readonly T[]): T => list[Math.floor(random() * list.length)]!;

/** Flips `count` random bits, cuts, or inserts garbage: the damage every format gets. */
export function damageBytes(random: Random, bytes: Uint8Array): { bytes: Uint8Array; what: string } {
  const out = Uint8Array.from(bytes);
  const r = random();
  if (r < 0.5) {
    const count = 1 + Math.floor(random() * 8);
    for (let k = 0; k < count; k++) out[Math.floor(random() * out.length)]! ^= 1 << Math.floor(random() * 8);
    return { bytes: out, what: `${count} bit flips` };
  }
  if (r < 0.75) {
    const at = Math.floor(random() * out.length);
    return { bytes: out.slice(0, at), what: `cut at ${at}` };
  }
  const at = Math.floor(random() * out.length);
  const garbage = Uint8Array.from({ length: 1 + Math.floor(random() * 64) }, () => Math.floor(random() * 256));
  return { bytes: Uint8Array.from([...out.subarray(0, at), ...garbage, ...out.subarray(at)]), what: `${garbage.length} garbage bytes at ${at}` };
}

/** A small valid Y4M: 3 frames of 16x12 4:2:0. */
export function validY4M(header = 'YUV4MPEG2 W16 H12 F25:1 Ip A1:1 C420jpeg'): Uint8Array {
  const frame = new Uint8Array(16 * 12 + 2 * 8 * 6).map((_, i) => (i * 7) & 0xff);
  const parts: Uint8Array[] = [new TextEncoder().encode(`${header}\n`)];
  for (let k = 0; k < 3; k++) parts.push(new TextEncoder().encode('FRAME\n'), frame);
  return Uint8Array.from(parts.flatMap((p) => [...p]));
}

export function damagedY4M(random: Random): { bytes: Uint8Array; what: string } {
  if (random() < 0.5) return damageBytes(random, validY4M());
  const token = pick(random, ['W', 'H', 'F', 'C', 'X', 'I']);
  const value = pick(random, ['0', '-1', '1e9', '99999', 'x', '', '1:0', '0:1', '1e308:1', '30000:1001', '411', 'mono', 'COLORRANGE=FULL', '2147483648']);
  const header = 'YUV4MPEG2 W16 H12 F25:1 Ip A1:1 C420jpeg'.replace(new RegExp(` ${token}\\S*`), ` ${token}${value}`);
  return { bytes: validY4M(header), what: `header ${header}` };
}

/** A 16x12 RGBA PNG or JPEG. */
export function validImage(format: 'png' | 'jpeg'): Uint8Array {
  const width = 16;
  const height = 12;
  const data = Buffer.from(Uint8Array.from({ length: width * height * 4 }, (_, i) => (i * 13) & 0xff));
  if (format === 'png') {
    const png = new PNG({ width, height });
    data.copy(png.data);
    return PNG.sync.write(png);
  }
  return jpeg.encode({ data, width, height }, 80).data;
}

export function damagedImage(random: Random): { bytes: Uint8Array; what: string } {
  const format = random() < 0.5 ? 'png' : 'jpeg';
  const bytes = validImage(format);
  if (random() < 0.3) {
    // The declared size, anything from 0 to the format's largest.
    const out = Buffer.from(bytes);
    const width = pick(random, [0, 1, 65535, 20000, 4096, 16]);
    const height = pick(random, [0, 1, 65535, 20000, 3000, 12]);
    if (format === 'png') {
      out.writeUInt32BE(width, 16);
      out.writeUInt32BE(height, 20);
    } else {
      const sof = out.indexOf(Buffer.from([0xff, 0xc0]));
      if (sof >= 0) {
        out.writeUInt16BE(height, sof + 5);
        out.writeUInt16BE(width, sof + 7);
      }
    }
    return { bytes: out, what: `${format} declaring ${width}x${height}` };
  }
  const damaged = damageBytes(random, bytes);
  return { bytes: damaged.bytes, what: `${format}, ${damaged.what}` };
}

const { onnx } = onnxProto;

/** A small model that exercises folding and several operators: 1x3x8x8 in, 4 scores out. */
export function validModel(): Uint8Array {
  const random = prng(77);
  return buildModel({
    input: { name: 'x', dims: [1, 3, 8, 8] },
    outputs: ['scores'],
    nodes: [
      { op: 'Conv', name: 'c1', inputs: ['x', 'w1', 'b1'], outputs: ['c1'], attributes: { pads: [1, 1, 1, 1], strides: [1, 1], kernel_shape: [3, 3] } },
      { op: 'BatchNormalization', name: 'bn', inputs: ['c1', 'g', 'beta', 'mean', 'var'], outputs: ['bn'] },
      { op: 'Relu', name: 'r1', inputs: ['bn'], outputs: ['r1'] },
      { op: 'MaxPool', name: 'p1', inputs: ['r1'], outputs: ['p1'], attributes: { kernel_shape: [2, 2], strides: [2, 2] } },
      { op: 'Conv', name: 'c2', inputs: ['p1', 'w2'], outputs: ['c2'], attributes: { group: 2, pads: [0, 0, 0, 0] } },
      { op: 'GlobalAveragePool', name: 'gap', inputs: ['c2'], outputs: ['gap'] },
      { op: 'Flatten', name: 'flat', inputs: ['gap'], outputs: ['flat'] },
      { op: 'Gemm', name: 'fc', inputs: ['flat', 'wf', 'bf'], outputs: ['logits'], attributes: { transB: 1 } },
      { op: 'Softmax', name: 'sm', inputs: ['logits'], outputs: ['scores'], attributes: { axis: 1 } },
    ],
    initializers: {
      w1: weights(random, [4, 3, 3, 3]), b1: weights(random, [4]),
      g: weights(random, [4]), beta: weights(random, [4]), mean: weights(random, [4]), var: { dims: [4], data: [1, 2, 3, 4] },
      w2: weights(random, [6, 2, 3, 3]), wf: weights(random, [4, 6]), bf: weights(random, [4]),
    },
  });
}

const EDGE_INTS = [-1, -2, 0, 1, 2, 3, 5000, 2 ** 31 - 1, -(2 ** 31), 1e12];

/** One seeded change to a valid model: its bytes, an attribute, a tensor's dims, a name or an op. */
export function damagedModel(random: Random, base: Uint8Array): { bytes: Uint8Array; what: string } {
  if (random() < 0.35) return damageBytes(random, base);
  const model = onnx.ModelProto.decode(base);
  const graph = model.graph!;
  const node = pick(random, graph.node!);
  let what: string;
  switch (Math.floor(random() * 7)) {
    case 0: {
      const attribute = node.attribute?.length ? pick(random, node.attribute) : undefined;
      if (!attribute) {
        node.attribute = [onnx.AttributeProto.create({ name: pick(random, ['pads', 'strides', 'dilations', 'kernel_shape']), type: onnx.AttributeProto.AttributeType.INTS, ints: [pick(random, EDGE_INTS), pick(random, EDGE_INTS)] })];
        what = `node ${node.name} gets ${node.attribute[0]!.name}`;
      } else if (attribute.ints?.length) {
        attribute.ints = attribute.ints.map(() => pick(random, EDGE_INTS));
        what = `node ${node.name} ${attribute.name} = [${attribute.ints.join(', ')}]`;
      } else {
        attribute.i = pick(random, EDGE_INTS);
        what = `node ${node.name} ${attribute.name} = ${attribute.i}`;
      }
      break;
    }
    case 1: {
      const tensor = pick(random, graph.initializer!);
      tensor.dims = tensor.dims!.map((d) => (random() < 0.5 ? pick(random, EDGE_INTS) : d));
      what = `initializer ${tensor.name} dims [${tensor.dims.join(', ')}]`;
      break;
    }
    case 2: {
      const k = Math.floor(random() * node.input!.length);
      node.input![k] = pick(random, ['nowhere', '', 'x', 'scores', node.output![0]!]);
      what = `node ${node.name} input ${k} = '${node.input![k]}'`;
      break;
    }
    case 3: {
      node.opType = pick(random, ['Relu', 'Conv', 'MaxPool', 'Gemm', 'Softmax', 'Resize', 'Add', 'Concat', 'Reshape', 'Transpose', 'ConvTranspose', 'AveragePool']);
      what = `node ${node.name} becomes ${node.opType}`;
      break;
    }
    case 4: {
      graph.node!.splice(graph.node!.indexOf(node), 1);
      what = `node ${node.name} removed`;
      break;
    }
    case 5: {
      const dims = graph.input![0]!.type!.tensorType!.shape!.dim!;
      const k = Math.floor(random() * dims.length);
      dims[k]!.dimValue = pick(random, [0, 1, 2, 7, 64, 100000, -3]);
      what = `input dim ${k} = ${dims[k]!.dimValue}`;
      break;
    }
    default: {
      const tensor = pick(random, graph.initializer!);
      tensor.rawData = tensor.rawData!.subarray(0, Math.floor(random() * tensor.rawData!.length));
      what = `initializer ${tensor.name} data cut to ${tensor.rawData.length} bytes`;
    }
  }
  return { bytes: onnx.ModelProto.encode(model).finish(), what };
}
