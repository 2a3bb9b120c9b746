/**
 * The numeric options of sliding windows (kernel, stride, dilation, padding), checked by one rule
 * wherever they come from: operator options, `PoolLayer` configs, ONNX attributes. Each function
 * returns the normalized value or a `WindowOptionProblem` saying what is wrong, for the caller to
 * put in its own error type with its own name for the option.
 */
import type { Padding } from '../kernels/geometry.js';

/** What is wrong with an option value (a padding may itself be a string, so problems are objects). */
export interface WindowOptionProblem {
  readonly problem: string;
}

export const isWindowOptionProblem = (value: unknown): value is WindowOptionProblem =>
  typeof value === 'object' && value !== null && 'problem' in value;

/**
 * `n` or `[h, w]` of positive integers as `[h, w]`, or what is wrong with it. Shared by the
 * operators and the ONNX importer, so that options and attributes follow one rule.
 */
export function windowPair(value: unknown): [number, number] | WindowOptionProblem {
  const result = typeof value === 'number' ? [value, value] : Array.isArray(value) && value.length === 2 ? [value[0], value[1]] : undefined;
  if (!result || !result.every(isPositiveInteger)) return { problem: `must be a positive integer or a pair of them, got ${show(value)}` };
  return result as [number, number];
}

/**
 * A non-negative integer, `[top, left, bottom, right]` of them, `'same'`, `'sameLower'` or
 * `'valid'`; or what is wrong with the value. (Whether pads fit the kernel and the memory limits
 * is checked with the input size: `validateConvGeometry`, `validatePoolGeometry`.)
 */
export function windowPadding(value: unknown): Padding | WindowOptionProblem {
  if (value === 'same' || value === 'sameLower' || value === 'valid') return value;
  if (isNonNegativeInteger(value)) return value;
  if (Array.isArray(value) && value.length === 4 && value.every(isNonNegativeInteger)) return [value[0], value[1], value[2], value[3]];
  return { problem: `must be an integer ≥ 0, [top, left, bottom, right] of them, 'same', 'sameLower' or 'valid'; got ${show(value)}` };
}

const isPositiveInteger = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 1;
const isNonNegativeInteger = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

function show(value: unknown): string {
  if (typeof value === 'number') return String(value);
  try {
    return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v)) ?? String(value);
  } catch {
    return String(value);
  }
}
