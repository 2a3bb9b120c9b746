/** Options shared by the commands that load a model: parsing, validation and what they turn into. */
import { readFile } from 'node:fs/promises';
import { jsBackend } from '../kernels/js/js-backend.js';
import { availableParallelism } from 'node:os';
import { createNativeBackend } from '../kernels/native/native-backend.js';
import { createWasmBackend } from '../kernels/wasm/wasm-backend.js';
import type { KernelBackend } from '../kernels/backend.js';
import { isThresholdMode, THRESHOLD_MODES, type ThresholdMode } from '../model/threshold-mode.js';
import type { FrameFit, PreprocessOptions } from '../model/preprocess.js';
import type { ParsedValues } from './args.js';
import { UsageError } from './errors.js';
import type { InputOptions } from './input.js';

/** The options that open an input and fit its frames: every command that reads one takes them. */
export const INPUT_OPTIONS = {
  input: { type: 'string' },
  size: { type: 'string' },
  stretch: { type: 'boolean' },
  fps: { type: 'string' },
  start: { type: 'string' },
  end: { type: 'string' },
  'allow-truncated': { type: 'boolean' },
  'max-frames': { type: 'string' },
  verbose: { type: 'boolean' },
} as const;

/** The options that load a model and feed it frames: every command that runs one takes them. */
export const MODEL_OPTIONS = {
  model: { type: 'string' },
  mean: { type: 'string' },
  scale: { type: 'string' },
  std: { type: 'string' },
  'channel-order': { type: 'string' },
  stretch: { type: 'boolean' },
  backend: { type: 'string' },
  threads: { type: 'string' },
  'threshold-mode': { type: 'string' },
  verbose: { type: 'boolean' },
} as const;

/** `--threshold` and `--thresholds`, for the commands that run a model with them (run, serve). */
export const THRESHOLD_OPTIONS = {
  threshold: { type: 'string' },
  thresholds: { type: 'string' },
} as const;

/** The input options of `run` and `tune`, as their usage lists them. */
export const INPUT_USAGE = `  --size WxH                               frames to this size first, aspect kept by letterboxing (black bars)
  --stretch                                stretch instead of letterboxing (to --size and to the model's input size)
  --fps F   --start S   --end S            video files: resample to F frames/s, from S seconds to S seconds
  --allow-truncated                        video files: accept a file that ends early or is damaged (else an error)
  --mean M --scale S --std D               input = (byte − M) · S / D, one value or per channel (default scale 1/255)
  --channel-order rgb|bgr                  --backend native|wasm|js   --threads 1|2|auto   --max-frames N`;

export function requireString(values: ParsedValues, name: string, what: string): string {
  const value = values[name];
  if (typeof value !== 'string' || value === '') throw new UsageError(`--${name} is required: ${what}`);
  return value;
}

/** A finite number that passes `check`; `--name value: expected ...` as one line otherwise. */
export function optionalNumber(values: ParsedValues, name: string, check: (n: number) => boolean = () => true, expected = 'a number'): number | undefined {
  const value = values[name];
  if (value === undefined) return undefined;
  const n = Number(value);
  if (typeof value !== 'string' || value.trim() === '' || !Number.isFinite(n) || !check(n)) throw new UsageError(`--${name} ${String(value)}: expected ${expected}`);
  return n;
}

/** `--size 320x240` as width and height. */
function parseSize(values: ParsedValues): { width?: number; height?: number } {
  const value = values.size;
  if (value === undefined) return {};
  const match = /^(\d+)x(\d+)$/.exec(String(value));
  if (!match || Number(match[1]) <= 0 || Number(match[2]) <= 0) throw new UsageError(`--size ${String(value)}: expected WIDTHxHEIGHT, e.g. 320x240`);
  return { width: Number(match[1]), height: Number(match[2]) };
}

/** How frames of another aspect ratio meet `--size` and the model's input size. */
export function fitOption(values: ParsedValues): FrameFit {
  return values.stretch ? 'stretch' : 'letterbox';
}

/** `--size`, `--stretch`, `--fps`, `--start`, `--end` for `openInput`. */
export function inputOptions(values: ParsedValues): InputOptions {
  const fps = optionalNumber(values, 'fps', (n) => n > 0, 'a number of frames per second > 0');
  const start = optionalNumber(values, 'start', (n) => n >= 0, 'a time in seconds >= 0');
  const end = optionalNumber(values, 'end', (n) => n > (start ?? 0), `a time in seconds after --start (${start ?? 0})`);
  return {
    ...parseSize(values),
    fit: fitOption(values),
    ...(fps !== undefined ? { fps } : {}),
    ...(start !== undefined ? { startMs: start * 1000 } : {}),
    ...(end !== undefined ? { endMs: end * 1000 } : {}),
    ...(values['allow-truncated'] ? { allowTruncated: true } : {}),
  };
}

/** `--mean 127` or `--mean 0.485,0.456,0.406` (one value or one per channel). */
function numberList(values: ParsedValues, name: string): number | number[] | undefined {
  const value = values[name];
  if (value === undefined) return undefined;
  const list = String(value).split(',').map(Number);
  if (list.some((n) => !Number.isFinite(n))) throw new UsageError(`--${name} ${String(value)}: expected a number or comma-separated numbers`);
  return list.length === 1 ? list[0]! : list;
}

/** How frames become the model's input: `(byte − mean) · scale / std`, RGB or BGR. */
export function preprocessOptions(values: ParsedValues): PreprocessOptions {
  const order = values['channel-order'];
  if (order !== undefined && order !== 'rgb' && order !== 'bgr') throw new UsageError(`--channel-order ${String(order)}: expected rgb or bgr`);
  const mean = numberList(values, 'mean');
  const std = numberList(values, 'std');
  const scale = optionalNumber(values, 'scale');
  return {
    fit: fitOption(values),
    ...(mean !== undefined ? { mean } : {}),
    ...(std !== undefined ? { std } : {}),
    ...(scale !== undefined ? { scale } : { scale: 1 / 255 }),
    ...(order ? { channelOrder: order } : {}),
  };
}

/** `--backend`: the kernels, on one thread each (`--threads 2` runs two of them, one per pipeline stage). */
export function backendOption(values: ParsedValues): KernelBackend {
  const name = values.backend ?? 'native';
  const notice = (message: string) => console.error(message);
  if (name === 'js') return jsBackend;
  if (name === 'native') return createNativeBackend({ notice });
  if (name === 'wasm') return createWasmBackend({ notice });
  throw new UsageError(`--backend ${String(name)}: expected native, wasm or js`);
}

/** `--threads 1|2|auto`: 2 runs the model as a two-stage frame pipeline (`ModelOperatorOptions.threads`); auto takes 2 where there are 2 cores. */
export function threadsOption(values: ParsedValues): 1 | 2 {
  const threads = values.threads ?? '1';
  if (threads !== '1' && threads !== '2' && threads !== 'auto') throw new UsageError(`--threads ${String(threads)}: expected 1, 2 or auto (two threads run the model's first and last layers side by side, on consecutive frames)`);
  return threads === 'auto' ? (availableParallelism() >= 2 ? 2 : 1) : threads === '2' ? 2 : 1;
}

/** `--threshold-mode absolute|relative`, undefined when not given. */
export function thresholdModeOption(values: ParsedValues): ThresholdMode | undefined {
  const value = values['threshold-mode'];
  if (value === undefined) return undefined;
  if (!isThresholdMode(value)) throw new UsageError(`--threshold-mode ${String(value)}: expected ${THRESHOLD_MODES.join(' or ')}`);
  return value;
}

export interface ThresholdChoice {
  readonly threshold: number;
  readonly thresholdMode: ThresholdMode;
  /** Per layer, from `--thresholds`. */
  readonly thresholds: Record<string, number> | undefined;
}

/**
 * `--threshold`, `--thresholds file.json` and `--threshold-mode`: the mode is the flag's, else the
 * file's, else absolute, and the two must not contradict (the file's thresholds are in its units);
 * the file may only name layers the model has.
 */
export async function thresholdChoice(values: ParsedValues, layers: readonly string[]): Promise<ThresholdChoice> {
  const threshold = optionalNumber(values, 'threshold', (n) => n >= 0, 'a threshold >= 0') ?? 0;
  const path = values.thresholds === undefined ? undefined : String(values.thresholds);
  const file = path === undefined ? undefined : await readThresholds(path);
  const flag = thresholdModeOption(values);
  if (flag && file?.thresholdMode && flag !== file.thresholdMode) {
    throw new UsageError(`--threshold-mode ${flag}: ${path} holds ${file.thresholdMode} thresholds (tuned in that mode); drop --threshold-mode or retune`);
  }
  const unknownLayers = Object.keys(file?.thresholds ?? {}).filter((layer) => !layers.includes(layer));
  if (unknownLayers.length) throw new UsageError(`--thresholds names layers the model does not have: ${unknownLayers.join(', ')}`);
  return { threshold, thresholdMode: flag ?? file?.thresholdMode ?? 'absolute', thresholds: file?.thresholds };
}

export interface ThresholdsFile {
  readonly thresholds: Record<string, number>;
  /** The units the thresholds are in, when the file says (`tune` writes it). */
  readonly thresholdMode: ThresholdMode | undefined;
}

/**
 * `--thresholds file.json`: `{ "thresholds": { layer: τ }, "thresholdMode": ... }` as `tune` writes
 * it, or a plain `{ layer: τ }`.
 */
export async function readThresholds(path: string): Promise<ThresholdsFile> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new UsageError(`--thresholds ${path}: ${(error as Error).message}`);
  }
  const wrapped = typeof parsed === 'object' && parsed !== null && 'thresholds' in parsed;
  const table = wrapped ? (parsed as { thresholds: unknown }).thresholds : parsed;
  if (typeof table !== 'object' || table === null) throw new UsageError(`--thresholds ${path}: expected an object of layer names to thresholds`);
  for (const [layer, tau] of Object.entries(table)) {
    if (typeof tau !== 'number' || !(tau >= 0)) throw new UsageError(`--thresholds ${path}: layer ${layer} has threshold ${JSON.stringify(tau)}, expected a number >= 0`);
  }
  const mode = wrapped ? (parsed as { thresholdMode?: unknown }).thresholdMode : undefined;
  if (mode !== undefined && !isThresholdMode(mode)) {
    throw new UsageError(`--thresholds ${path}: thresholdMode ${JSON.stringify(mode)}, expected ${THRESHOLD_MODES.map((m) => `"${m}"`).join(' or ')}`);
  }
  return { thresholds: table as Record<string, number>, thresholdMode: mode };
}
