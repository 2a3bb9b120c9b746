/**
 * The messages between the caller's thread and the stage worker of the two-thread frame pipeline
 * (`frame-pipeline.ts`, `stage-worker.ts`), and the conversion of graph values to and from them.
 * Everything here is structured-cloneable; arrays are fresh copies, transferred.
 */
import type { BackendRecipe } from '../kernels/backend.js';
import { deriveMap } from '../layers/map-meta.js';
import type { LayerStats } from '../types.js';
import type { ModelOperatorOptions } from './executor.js';
import { tensorValue, type FrameMeta, type Value } from './layout.js';
import type { LoadOnnxOptions } from './model.js';

/** What a stage worker needs to rebuild the model: its bytes (in shared memory) and how it was loaded. */
export interface ModelRecipe {
  readonly bytes: Uint8Array;
  readonly load: LoadOnnxOptions;
}

/** The operator options as a worker rebuilds them: the backend as a recipe. */
export type StageOptions = Omit<ModelOperatorOptions, 'backend' | 'threads' | 'splitAt'> & { readonly backend?: BackendRecipe };

/** `session` numbers a subscription: results of an earlier one still in flight are ignored by the next. */
export type ToStage =
  /** A page's worker gets the model in its first message (Node's gets it as workerData). */
  | { readonly type: 'init'; readonly recipe: ModelRecipe }
  | { readonly type: 'start'; readonly session: number; readonly options: StageOptions }
  | { readonly type: 'frame'; readonly frame: StageFrame }
  | { readonly type: 'end' };

export type FromStage =
  | { readonly type: 'result'; readonly session: number; readonly stats: LayerStats[]; readonly outputs: Record<string, { dims: number[]; data: Float32Array }> }
  /** `session` undefined: the worker itself failed (it could not start, or died). */
  | { readonly type: 'error'; readonly session: number | undefined; readonly name: string; readonly message: string };

export interface StageFrame {
  readonly inputDims: readonly number[];
  readonly meta: FrameMeta;
  readonly inputScale: number | undefined;
  readonly start: number;
  readonly values: Record<string, WireValue>;
  readonly outputs: readonly string[];
}

export type WireValue =
  | { readonly kind: 'tensor'; readonly dims: readonly number[]; readonly data: Float32Array; readonly integer: boolean }
  | {
      readonly kind: 'map';
      readonly dims: readonly number[];
      readonly height: number;
      readonly width: number;
      readonly channels: number;
      readonly data: Float32Array;
      readonly dense: boolean;
      /** Pixels that changed since the previous frame's value of the same name, when the caller knew them. */
      readonly changed: Int32Array | undefined;
    };

/**
 * A value for the wire, copied (the caller's maps are updated in place by the next frame). A map's
 * change hint travels when it is relative to the array the previous frame sent (`previous`).
 */
export function toWire(value: Value, previous: Float32Array | undefined, transfer: ArrayBuffer[]): WireValue {
  const data = (value.kind === 'tensor' ? value.data : value.map.data).slice();
  transfer.push(data.buffer);
  if (value.kind === 'tensor') return { kind: 'tensor', dims: value.dims, data, integer: value.integer === true };
  const { map } = value;
  const changed = map.changes && previous !== undefined && map.changes.since === previous ? map.changes.pixels.slice() : undefined;
  if (changed) transfer.push(changed.buffer);
  return { kind: 'map', dims: value.dims, height: map.height, width: map.width, channels: map.channels, data, dense: map.dense === true, changed };
}

/** The wire value back as a graph value; `previous` is the array the same name arrived in last frame (what a change hint is relative to). */
export function fromWire(wire: WireValue, meta: FrameMeta, previous: Float32Array | undefined): Value {
  if (wire.kind === 'tensor') return tensorValue(wire);
  const changes = wire.changed && previous ? { since: previous, pixels: wire.changed } : undefined;
  return { kind: 'map', map: deriveMap({ ...meta, stats: [] }, wire.data, wire.height, wire.width, wire.channels, undefined, changes, wire.dense), dims: wire.dims };
}
