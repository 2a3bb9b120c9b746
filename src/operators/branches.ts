import { connect, map as rxMap, pipe, zip, type OperatorFunction } from 'rxjs';
import { addMaps, concatMaps, mergeStats } from '../layers/merge.js';
import { RrmInputError } from '../layers/validate.js';
import type { FeatureMap } from '../types.js';
import { layerName } from './names.js';

type Branch = OperatorFunction<FeatureMap, FeatureMap>;

/**
 * A skip connection: `output = input + branch(input)`. Addition is linear, so the rrm layers inside
 * the branch keep their own delta state; the branch is subscribed once per subscription (`connect`),
 * and must emit exactly one map per input map, as every rx-rrm layer does.
 */
export function residual(...branch: Branch[]): OperatorFunction<FeatureMap, FeatureMap> {
  const name = layerName('residual', undefined);
  const body = (pipe as (...ops: Branch[]) => Branch)(...branch);
  return connect((shared) => zip(shared, shared.pipe(body)).pipe(rxMap(([input, branchOutput]) => addMaps(name, input, branchOutput))));
}

/** Runs every branch on the same input and concatenates their outputs along channels. */
export function concat(...branches: Branch[]): OperatorFunction<FeatureMap, FeatureMap> {
  const name = layerName('concat', undefined);
  if (branches.length === 0) throw new RrmInputError(`${name}: needs at least one branch`);
  return connect((shared) => zip(branches.map((branch) => shared.pipe(branch))).pipe(rxMap((outputs) => concatMaps(name, outputs, mergeStats(outputs)))));
}
