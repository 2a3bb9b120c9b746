/** `rx-rrm inspect`: what a model holds, whether rx-rrm supports it, and where its multiply-adds are. */
import { readFile } from 'node:fs/promises';
import { lastValueFrom, of } from 'rxjs';
import { readGraph } from '../../model/graph.js';
import { modelFromBytes } from '../../model/model.js';
import { decodeModel } from '../../model/onnx-proto.js';
import { SUPPORTED_OPERATORS } from '../../model/op-table.js';
import type { FeatureMap } from '../../types.js';
import { parseCommandArgs } from '../args.js';
import { UsageError } from '../errors.js';
import { requireString } from '../model-options.js';

export const INSPECT_USAGE = `rx-rrm inspect --model m.onnx
  lists the model's input, outputs and operators (supported or not), and the multiply-adds per layer:
  the layer names are the keys of run --thresholds`;

export async function inspectCommand(args: string[]): Promise<void> {
  const values = parseCommandArgs('inspect', args, { model: { type: 'string' }, verbose: { type: 'boolean' } }, INSPECT_USAGE);
  if (!values) return;
  const path = requireString(values, 'model', 'the ONNX model to inspect');
  const bytes = await readFile(path).catch((error: Error) => {
    throw new UsageError(`--model ${path}: ${error.message}`);
  });
  const graph = readGraph(decodeModel(bytes));
  const shape = (dims: readonly (number | undefined)[]) => `[${dims.map((d) => d ?? '?').join(', ')}]`;
  console.log(`model ${path}`);
  console.log(`input   ${graph.input.name} ${shape(graph.input.dims)}`);
  for (const output of graph.outputs) console.log(`output  ${output.name} ${shape(output.dims)}`);
  const counts = new Map<string, number>();
  for (const node of graph.nodes) counts.set(node.opType, (counts.get(node.opType) ?? 0) + 1);
  console.log('\noperators');
  for (const [op, count] of [...counts].sort()) console.log(`  ${op.padEnd(22)} x${String(count).padEnd(4)} ${SUPPORTED_OPERATORS.includes(op) ? 'supported' : 'NOT SUPPORTED'}`);
  const unsupported = [...counts.keys()].filter((op) => !SUPPORTED_OPERATORS.includes(op));
  if (unsupported.length) {
    console.log(`\nrx-rrm cannot run this model: ${unsupported.join(', ')} not supported (supported: ${SUPPORTED_OPERATORS.join(', ')})`);
    process.exitCode = 1;
    return;
  }
  // Per-layer multiply-adds, as the layers themselves count them on one dense frame.
  const model = modelFromBytes(bytes);
  const [, channels, height, width] = graph.input.dims;
  if (!channels || !height || !width) throw new UsageError(`the model input has no fixed size ${shape(graph.input.dims)}: cannot count multiply-adds`);
  const zero: FeatureMap = { data: new Float32Array(channels * height * width), height, width, channels, index: 0, timestamp: 0, keyframe: true, stats: [] };
  const output = await lastValueFrom(of(zero).pipe(model.operator()));
  const layers = output.stats.filter((s) => s.denseMacs > 0);
  const total = layers.reduce((n, s) => n + s.denseMacs, 0);
  console.log(`\nlayers with multiply-adds (${layers.length}, ${(total / 1e6).toFixed(1)} M per frame; the keys of --thresholds)`);
  for (const s of layers) console.log(`  ${s.layer.padEnd(40)} ${s.kind.padEnd(5)} ${(s.denseMacs / 1e6).toFixed(2).padStart(8)} M  ${((s.denseMacs / total) * 100).toFixed(1).padStart(5)}%`);
}
