/**
 * The project's real models and clips (UltraFace, mnist, the Intel sample videos) live beside the
 * repository in `../shared/data`, never in it: a plain clone does not have them. Every test that
 * needs them finds them here, and skips with one of the reasons below when they are absent.
 */
import { existsSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const SHARED_DATA = resolve(REPO_ROOT, '../shared/data');

export const modelPath = (name: string): string => resolve(SHARED_DATA, 'models', name);
export const videoPath = (name: string): string => resolve(SHARED_DATA, 'videos', name);

/** The skip reason when the whole folder is absent: the same text everywhere, so skips count by reason. */
export const SHARED_DATA_ABSENT = '../shared/data is absent (the real models and clips that live beside the repository)';

/** The files among `paths` that do not exist (empty when all are there). */
export const missing = (...paths: string[]): string[] => paths.filter((p) => !existsSync(p));

/** A tap `skip` value: why these shared files cannot be used, or false when they all exist. */
export function needsSharedData(...paths: string[]): string | false {
  if (!existsSync(SHARED_DATA)) return SHARED_DATA_ABSENT;
  const absent = missing(...paths);
  return absent.length > 0 && `../shared/data lacks ${absent.map((p) => relative(SHARED_DATA, p)).join(', ')}`;
}
