/**
 * Runs reliability cases in a worker thread, so that a case that hangs (a kernel looping forever)
 * can be killed by the parent without killing the test: option fuzz cases of the operators and
 * mutated ONNX models, each on a named backend. Replies `{ id, outcome, detail }`:
 * `ok` (outputs computed, all finite), `refused` (an RrmInputError or ModelImportError: a clean error),
 * `unclean` (any other error, or non-finite output from finite input).
 */
import { parentPort } from 'node:worker_threads';
import { from, lastValueFrom, toArray } from 'rxjs';
import { RrmInputError } from '../../src/layers/validate.js';
import { ModelImportError } from '../../src/model/errors.js';
import { loadOnnx } from '../../src/model/model.js';
import type { FeatureMap } from '../../src/types.js';
import { backendByName } from '../helpers/backends.js';
import { fromImages } from '../../src/sources/images.js';
import { fromY4M } from '../../src/sources/y4m.js';
import { optionCase } from './option-cases.js';

export type WorkerCase =
  | { readonly kind: 'option'; readonly seed: number; readonly backend: string }
  | { readonly kind: 'onnx'; readonly model: Uint8Array; readonly backend: string; readonly seed: number }
  | { readonly kind: 'y4m'; readonly bytes: Uint8Array }
  | { readonly kind: 'image'; readonly path: string; readonly decoder: 'pure-js' | 'sharp' };

export interface WorkerReply {
  readonly id: number;
  readonly outcome: 'ok' | 'refused' | 'unclean';
  readonly detail: string;
}

const isClean = (error: unknown) => error instanceof RrmInputError || error instanceof ModelImportError;

/** A source's error is clean when it is ours, saying what was wrong: not a TypeError or RangeError from inside. */
const INTERNAL = /Cannot read prop|is not a function|is not iterable|Invalid typed array length|Invalid array length|Maximum call stack|out of memory|undefined is not/i;
function cleanSourceError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  // A third-party decoder's own failure, wrapped with the file and what was expected.
  if (/^fromImages: cannot decode '.*': its (PNG|JPEG) data is damaged or unsupported \(the decoder said: /s.test(error.message)) return true;
  if ((error instanceof TypeError || error instanceof RangeError) && !(error instanceof RrmInputError)) return false;
  return !INTERNAL.test(error.message);
}

async function runSource(frames: () => Promise<{ data: Uint8Array; width: number; height: number; channels: number; timestamp: number }[]>, what: string): Promise<Omit<WorkerReply, 'id'>> {
  try {
    const list = await frames();
    const sane = list.every((f) => f.data.length === f.width * f.height * f.channels && Number.isFinite(f.timestamp));
    return sane ? { outcome: 'ok', detail: `${what}: ${list.length} frames` } : { outcome: 'unclean', detail: `${what}: a frame whose data does not fit its size, or a non-finite timestamp` };
  } catch (error) {
    return cleanSourceError(error) ? { outcome: 'refused', detail: (error as Error).message } : { outcome: 'unclean', detail: `${what}: ${String((error as Error)?.stack ?? error)}` };
  }
}

function finite(maps: readonly { data: Float32Array }[]): boolean {
  return maps.every((m) => m.data.every(Number.isFinite));
}

async function runOption(seed: number, backend: string): Promise<Omit<WorkerReply, 'id'>> {
  const made = optionCase(seed, backendByName(backend));
  let operator;
  try {
    operator = made.build();
  } catch (error) {
    return isClean(error) ? { outcome: 'refused', detail: `${made.description}: ${(error as Error).message}` } : { outcome: 'unclean', detail: `${made.description}: construction threw ${String(error)}` };
  }
  try {
    const out = await lastValueFrom(from(made.inputs).pipe(operator, toArray()));
    return finite(out) ? { outcome: 'ok', detail: made.description } : { outcome: 'unclean', detail: `${made.description}: non-finite output from finite input` };
  } catch (error) {
    return isClean(error) ? { outcome: 'refused', detail: `${made.description}: ${(error as Error).message}` } : { outcome: 'unclean', detail: `${made.description}: ${String((error as Error)?.stack ?? error)}` };
  }
}

async function runOnnx(model: Uint8Array, backend: string, seed: number): Promise<Omit<WorkerReply, 'id'>> {
  let loaded;
  try {
    loaded = await loadOnnx(model);
  } catch (error) {
    return isClean(error) ? { outcome: 'refused', detail: (error as Error).message } : { outcome: 'unclean', detail: `loadOnnx threw ${String((error as Error)?.stack ?? error)}` };
  }
  const [, channels = 3, height = 8, width = 8] = loaded.inputs[0]!.dims.map((d) => d ?? 8);
  if (channels * height * width > 1 << 20) return { outcome: 'refused', detail: `declared input ${channels}x${height}x${width}: not run` };
  let state = seed >>> 0 || 1;
  const random = () => ((state = (state * 1664525 + 1013904223) >>> 0) / 2 ** 32);
  const map = (index: number): FeatureMap => ({
    data: Float32Array.from({ length: channels * height * width }, () => random() * 2 - 1), height, width, channels, index, timestamp: index, keyframe: false, stats: [],
  });
  try {
    const outputs = await lastValueFrom(from([map(0), map(1)]).pipe(loaded.operator({ backend: backendByName(backend) }), toArray()));
    const values = outputs.flatMap((o) => Object.values(o.outputs));
    // A mutated model may compute non-finite values from its own (finite but extreme) weights:
    // that is arithmetic, not a failure to validate; only thrown errors are judged here.
    void finite(values);
    return { outcome: 'ok', detail: 'ran 2 frames' };
  } catch (error) {
    return isClean(error) ? { outcome: 'refused', detail: (error as Error).message } : { outcome: 'unclean', detail: `running threw ${String((error as Error)?.stack ?? error)}` };
  }
}

parentPort!.on('message', async (message: { id: number; job: WorkerCase }) => {
  const { id, job } = message;
  let reply: Omit<WorkerReply, 'id'>;
  try {
    switch (job.kind) {
      case 'option':
        reply = await runOption(job.seed, job.backend);
        break;
      case 'onnx':
        reply = await runOnnx(job.model, job.backend, job.seed);
        break;
      case 'y4m': {
        const bytes = job.bytes;
        reply = await runSource(() => lastValueFrom(fromY4M((async function* () { yield bytes; })()).pipe(toArray())), 'y4m');
        break;
      }
      case 'image':
        reply = await runSource(() => lastValueFrom(fromImages([job.path], { decoder: job.decoder }).pipe(toArray())), `image (${job.decoder})`);
        break;
    }
  } catch (error) {
    reply = { outcome: 'unclean', detail: `harness: ${String(error)}` };
  }
  parentPort!.postMessage({ id, ...reply });
});
