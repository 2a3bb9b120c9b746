/**
 * A result as a Redis Streams entry of `rrm:out:<camera>`, under its input entry's ID: the frame's
 * index and time, whether it was a keyframe, who computed it (worker and fencing token), the
 * multiply-adds done against the dense count with the per-layer stats in short form, and the
 * outputs (float32 little-endian tensors) and/or a decoder's detections.
 *
 * | field | value |
 * | --- | --- |
 * | `index`, `timestamp`, `keyframe` | the input frame's; keyframe 1 when the layers recomputed densely from it |
 * | `worker`, `token` | the worker id and the fencing token of the lease it held |
 * | `ms` | time in the pipeline |
 * | `macs`, `denseMacs` | multiply-adds done, and what the dense computation costs |
 * | `layers` | JSON `[[layer, activeFraction, macs, dense 0/1], ...]` |
 * | `outputs` | JSON `{ name: dims }`; each tensor in `out:<name>` (float32, little-endian) |
 * | `detections` | JSON `[[x1, y1, x2, y2, score], ...]` in the model input's pixels |
 */
import type { ModelOutput, OutputTensor } from '../model/executor.js';
import type { FaceBox } from '../model/ultraface.js';
import { detectionsJson, round } from '../report/run-json.js';
import { fieldMap } from '../sources/redis-entry.js';
import type { FeatureMap, LayerStats } from '../types.js';

/** What a worker's pipeline emits per frame: an ONNX model's outputs, or a feature map (the library's layers). */
export type WorkerOutput = ModelOutput | FeatureMap;

export interface ResultOptions {
  /** Turns an output into detections (e.g. `knownDecoder(model).detect`): written as `detections`. */
  readonly detect?: (output: ModelOutput) => readonly FaceBox[];
  /** Write the output tensors too; default true without `detect`, false with it. */
  readonly outputs?: boolean;
}

export interface ResultMeta {
  readonly worker: string;
  readonly token: number;
  readonly ms: number;
  readonly keyframe: boolean;
}

/** The output's tensors by name: a model's outputs, or a feature map as `map` with dims [height, width, channels]. */
export function outputTensors(output: WorkerOutput): Record<string, OutputTensor> {
  if ('outputs' in output) return { ...output.outputs };
  return { map: { dims: [output.height, output.width, output.channels], data: output.data } };
}

export function resultFields(output: WorkerOutput, meta: ResultMeta, options: ResultOptions = {}): (string | Buffer)[] {
  const stats: readonly LayerStats[] = output.stats;
  const macs = stats.reduce((sum, s) => sum + s.macs, 0);
  const denseMacs = stats.reduce((sum, s) => sum + s.denseMacs, 0);
  const fields: (string | Buffer)[] = [
    'index', String(output.index), 'timestamp', String(output.timestamp), 'keyframe', meta.keyframe ? '1' : '0',
    'worker', meta.worker, 'token', String(meta.token), 'ms', String(round(meta.ms, 3)),
    'macs', String(macs), 'denseMacs', String(denseMacs),
    'layers', JSON.stringify(stats.map((s) => [s.layer, round(s.activeFraction, 4), s.macs, s.dense ? 1 : 0])),
  ];
  const detect = options.detect && 'outputs' in output ? options.detect : undefined;
  if (options.outputs ?? !detect) {
    const tensors = outputTensors(output);
    fields.push('outputs', JSON.stringify(Object.fromEntries(Object.entries(tensors).map(([name, t]) => [name, t.dims]))));
    // A copy: fused pipelines hand out views of memory that the next frame overwrites, and the write is sent later.
    for (const [name, tensor] of Object.entries(tensors)) fields.push(`out:${name}`, Buffer.from(new Uint8Array(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength)));
  }
  if (detect) fields.push('detections', JSON.stringify(detectionsJson(detect(output as ModelOutput))));
  return fields;
}

/** A result entry read back (tests, `rx-rrm status`, consumers of the results). */
export interface ResultEntry {
  readonly id: string;
  readonly index: number;
  readonly timestamp: number;
  readonly keyframe: boolean;
  readonly worker: string;
  readonly token: number;
  readonly ms: number;
  readonly macs: number;
  readonly denseMacs: number;
  readonly layers: readonly [string, number, number, number][];
  readonly outputs: Readonly<Record<string, OutputTensor>>;
  readonly detections?: readonly number[][];
}

export function decodeResultEntry(id: string, fields: readonly (Buffer | string)[]): ResultEntry {
  const values = fieldMap(fields);
  const text = (name: string) => values.get(name)?.toString() ?? '';
  const outputs: Record<string, OutputTensor> = {};
  const dims = values.has('outputs') ? (JSON.parse(text('outputs')) as Record<string, number[]>) : {};
  for (const [name, shape] of Object.entries(dims)) {
    const bytes = values.get(`out:${name}`) ?? Buffer.alloc(0);
    const data = new Float32Array(bytes.length / 4);
    new Uint8Array(data.buffer).set(bytes);
    outputs[name] = { dims: shape, data };
  }
  return {
    id,
    index: Number(text('index')),
    timestamp: Number(text('timestamp')),
    keyframe: text('keyframe') === '1',
    worker: text('worker'),
    token: Number(text('token')),
    ms: Number(text('ms')),
    macs: Number(text('macs')),
    denseMacs: Number(text('denseMacs')),
    layers: values.has('layers') ? JSON.parse(text('layers')) : [],
    outputs,
    ...(values.has('detections') ? { detections: JSON.parse(text('detections')) as number[][] } : {}),
  };
}
