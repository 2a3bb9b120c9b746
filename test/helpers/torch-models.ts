/**
 * The torchvision architectures (and the YOLO-style detectors) exported to ONNX by PyTorch itself,
 * by scripts/export-torch-models.py into a cache that is never committed. Tests that use them find
 * them here and skip, with one of the reasons below, when the exports are absent.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** RRM_TORCH_MODELS points elsewhere. */
export const TORCH_MODELS = process.env.RRM_TORCH_MODELS ?? resolve(REPO_ROOT, '.cache/torch-models');

export interface TorchExport {
  readonly file: string;
  readonly model: string;
  readonly opset: number;
  readonly dynamic: boolean;
  readonly height: number;
  readonly width: number;
  readonly outputs: readonly string[];
}

const HOW = 'produce them with `npm run export-models` (needs python3-torch and python3-torchvision)';

function torchInstalled(): boolean {
  for (const python of [process.env.PYTHON, 'python3', '/usr/bin/python3'].filter(Boolean) as string[]) {
    if (spawnSync(python, ['-c', 'import torch, torchvision'], { stdio: 'ignore' }).status === 0) return true;
  }
  return false;
}

/** A tap `skip` value: why the exports cannot be used, or false. Same text everywhere, so skips count by reason. */
export const torchModelsMissing: string | false = existsSync(resolve(TORCH_MODELS, 'manifest.json'))
  ? false
  : torchInstalled()
    ? `the torch exports are not in ${TORCH_MODELS}: ${HOW}`
    : `PyTorch is not installed and the torch exports are not in ${TORCH_MODELS}: ${HOW}`;

/** Every export listed in the cache's manifest whose file is there. */
export function torchExports(): TorchExport[] {
  if (torchModelsMissing) return [];
  const manifest = JSON.parse(readFileSync(resolve(TORCH_MODELS, 'manifest.json'), 'utf8')) as Record<string, Omit<TorchExport, 'file'>>;
  return Object.entries(manifest)
    .map(([file, info]) => ({ file, ...info }))
    .filter((e) => existsSync(resolve(TORCH_MODELS, e.file)))
    .sort((a, b) => a.file.localeCompare(b.file));
}

export const torchExportPath = (file: string): string => resolve(TORCH_MODELS, file);
