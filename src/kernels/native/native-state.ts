/**
 * One subscription's conv state in native memory (the primitives the delta driver composes): one
 * ArrayBuffer holds Ĩ, P, f(P) and the bookkeeping, laid out by the addon, which reads JavaScript
 * inputs in place (no staging copy) and whose views never move or detach.
 */
import { ACTIVATIONS } from '../activation.js';
import type { EngineActivation } from '../backend.js';
import type { ConvState } from '../delta-engine.js';
import type { ConvGeometry } from '../geometry.js';
import type { NativeAddon } from './native-addon.js';

/** Slots of the engine's status array (engine.h `Status`). */
const TOUCHED_COUNT = 0;
const DELTAS_NON_FINITE = 1;

/** The geometry in the field order of the addon's `Geometry` struct (engine.h). */
export function geometryFields(g: ConvGeometry): Int32Array {
  return Int32Array.of(
    g.inHeight, g.inWidth, g.inChannels, g.outHeight, g.outWidth, g.outChannels, g.kernelHeight, g.kernelWidth,
    g.strideH, g.strideW, g.dilationH, g.dilationW, g.padTop, g.padLeft, g.padBottom, g.padRight, g.groups,
  );
}

export class NativeConvState implements ConvState {
  readonly projection: Float32Array;
  readonly output: Float32Array;
  readonly touched: Int32Array;
  readonly activeList: Int32Array;
  private readonly block: ArrayBuffer;
  private readonly status: Int32Array;

  /**
   * `weights`: the layer's weights block (kept referenced here: the engine points into it).
   * `recomputes`: update touched pixels by recomputing them from Ĩ instead of scattering deltas.
   */
  constructor(
    private readonly addon: NativeAddon,
    geometry: ConvGeometry,
    readonly weights: ArrayBuffer,
    activation: EngineActivation,
    private readonly recomputes: boolean,
    threads: 1 | 2,
    minSplitWork: number,
  ) {
    const [block, projection, output, touched, active, status] = addon.createEngine(weights, geometryFields(geometry), ACTIVATIONS.indexOf(activation.kind), activation.leakyReluAlpha);
    const outValues = geometry.outHeight * geometry.outWidth * geometry.outChannels;
    this.block = block;
    this.projection = new Float32Array(block, projection, outValues);
    this.output = new Float32Array(block, output, outValues);
    this.touched = new Int32Array(block, touched, geometry.outHeight * geometry.outWidth);
    this.activeList = new Int32Array(block, active, geometry.inHeight * geometry.inWidth);
    this.status = new Int32Array(block, status, 4);
    if (threads === 2) addon.setThreads(block, 2, minSplitWork);
  }

  touchedCount(): number {
    return this.status[TOUCHED_COUNT]!;
  }

  recompute(input: Float32Array): number {
    return this.addon.recompute(this.block, input);
  }

  clearTouched(): void {
    this.addon.clearTouched(this.block);
  }

  detect(input: Float32Array, threshold: number, candidates: Int32Array | null, candidateCount: number, maxActive: number): number {
    return this.addon.detect(this.block, input, threshold, candidates, candidateCount, maxActive);
  }

  deltasNonFinite(): boolean {
    return this.status[DELTAS_NON_FINITE] !== 0;
  }

  findNonFiniteDelta(activeCount: number): number {
    return this.addon.findNonFiniteDelta(this.block, activeCount);
  }

  sparseUpdate(activeCount: number): number {
    return this.addon.sparseUpdate(this.block, activeCount, this.recomputes);
  }

  dispose(): void {
    // The block is an ArrayBuffer: the garbage collector frees it with the last view on it.
  }
}
