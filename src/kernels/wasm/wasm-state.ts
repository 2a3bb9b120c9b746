/**
 * One subscription's conv state in wasm memory (the primitives the delta driver composes): Ĩ
 * (zero-bordered), P, f(P), the staged input, the active-pixel and delta buffers and the touched
 * list, all in one block allocated at creation and never grown during frames. An input that is
 * another engine's output in the same memory (the previous layer of a fused graph) is read in
 * place, and so is its touched list; any other input is copied into the staged buffer.
 */
import type { Activation } from '../../types.js';
import { activatePixels } from '../activation.js';
import type { EngineActivation, PreparedWeights } from '../backend.js';
import type { ConvState } from '../delta-engine.js';
import { convKind, denseConvMacs, type ConvGeometry, type ConvKind } from '../geometry.js';
import { engineLayout, writeHeader, type EngineLayout } from './engine-layout.js';
import type { WasmRuntime } from './kernel-module.js';
import { acquireWeights, releaseWeights } from './weight-store.js';
import { HelperJob, runJob, type HelperThread } from './helper-thread.js';
import { Field } from './assembly/header.js';

/** The activations the wasm `activate` kernel computes (SIMD); the others run in JavaScript. */
const ACTIVATION_CODES: Partial<Record<Activation, number>> = { none: 0, relu: 1, relu6: 2, leakyRelu: 3 };

/** Views on this engine's buffers; re-created whenever memory growth replaces `memory.buffer`. */
interface Views {
  readonly buffer: ArrayBufferLike;
  readonly header: Int32Array;
  readonly staged: Float32Array;
  readonly integrated: Float32Array;
  readonly projection: Float32Array;
  readonly activated: Float32Array;
  readonly activePixels: Int32Array;
  readonly candidates: Int32Array;
  readonly touched: Int32Array;
}

/**
 * Jobs (dense convs, sparse recomputes) with fewer multiply-adds than this run on one thread: a
 * hand-off to the helper costs about 15-20 µs (measured on the 2-core dev machine); a 2M
 * multiply-add conv takes about 130 µs on one thread, so splitting it saves about 50 µs, and below
 * that the margin shrinks to nothing.
 */
const HELPER_MIN_MACS = 2_000_000;

/** With fewer candidates than this fraction of the pixels, only the candidates' channels are copied in. */
// Measured: copying one candidate's channels element by element costs about 2.5 ns per value, a
// whole-map `set` about 0.13 ns per value, so the partial copy only wins below about 5%.
const PARTIAL_COPY_FRACTION = 0.04;

/**
 * Whether the sparse update recomputes the touched output pixels from Ĩ (`assembly/recompute.ts`)
 * instead of scattering the deltas: for narrow layers (an RGB stem), where the scatter's bookkeeping
 * per active pixel and tap outweighs its few multiply-adds. Measured (`npm run bench -- kernels`,
 * UltraFace's stem, 10% active pixels in blobs): 0.52 ms against the scatter's 0.98 ms; depthwise
 * layers were as fast or slower that way (their touched set is 9x their active set).
 */
const RECOMPUTED_KINDS: ReadonlySet<ConvKind> = new Set(['narrow']);

export function recomputesTouched(geometry: ConvGeometry): boolean {
  return RECOMPUTED_KINDS.has(convKind(geometry));
}

export class WasmConvState implements ConvState {
  private readonly layout: EngineLayout;
  private readonly base: number;
  private readonly header: number;
  private readonly kind: ConvKind;
  private readonly depthwise: boolean;
  private readonly inputPixels: number;
  private readonly helper: HelperThread | undefined;
  /** The wasm activation kernel's code for this layer's activation, or undefined to apply it in JS. */
  private readonly activationCode: number | undefined;
  private views: Views;
  private disposed = false;
  /** The input the last detection staged whole (not just its candidates), until the step ends: a dense fallback reuses it. */
  private stagedForDetection: Float32Array | undefined;
  /**
   * Until the first delta step, `output` is a JavaScript copy: on the frame a state is created the
   * layers after it create theirs too, and growing the memory would detach a view this layer
   * already handed on. From then on, views.
   */
  private outputCopy: Float32Array | undefined;

  /**
   * `helper`: a second thread for dense convs and, on pointwise layers, large sparse updates (which
   * it recomputes rather than scatters, so that the threads write disjoint output pixels), each when
   * the job has at least `HELPER_MIN_MACS` multiply-adds.
   */
  constructor(
    private readonly runtime: WasmRuntime,
    private readonly geometry: ConvGeometry,
    private readonly weights: PreparedWeights,
    private readonly activation: EngineActivation,
    helper?: HelperThread,
  ) {
    this.activationCode = ACTIVATION_CODES[activation.kind];
    this.helper = helper;
    this.layout = engineLayout(geometry);
    this.kind = convKind(geometry);
    this.depthwise = this.kind === 'depthwise';
    this.inputPixels = geometry.inHeight * geometry.inWidth;
    const stored = acquireWeights(runtime, weights, geometry);
    this.base = runtime.allocator.allocate(this.layout.bytes);
    this.header = this.base + this.layout.header;
    // Reused memory holds old values; the zero border of Ĩ and the touched marks must start at zero.
    new Uint8Array(runtime.memory.buffer, this.base, this.layout.bytes).fill(0);
    writeHeader(new Int32Array(runtime.memory.buffer), this.base, this.layout, geometry, stored);
    this.views = this.createViews();
  }

  get projection(): Float32Array {
    return this.currentViews().projection;
  }

  get output(): Float32Array {
    return this.outputCopy ?? this.currentViews().activated;
  }

  get touched(): Int32Array {
    return this.currentViews().touched;
  }

  get activeList(): Int32Array {
    return this.currentViews().activePixels;
  }

  touchedCount(): number {
    return this.currentViews().header[Field.TouchedCount]!;
  }

  recompute(input: Float32Array): number {
    // A partial copy left the other pixels stale in the staged buffer; a whole one is not redone.
    if (this.stagedForDetection !== input) this.stage(this.currentViews(), input, null, 0);
    this.stagedForDetection = undefined;
    // Copies the input into Ĩ and validates it in one pass (wasm SIMD).
    const bad = this.runtime.kernels.integrateWhole(this.header);
    if (bad >= 0) return bad;
    this.runSplit(this.depthwise ? HelperJob.DenseDepthwise : HelperJob.DenseGeneral, this.geometry.outHeight, denseConvMacs(this.geometry));
    const views = this.currentViews();
    const { kind, leakyReluAlpha } = this.activation;
    if (this.activationCode === undefined) activatePixels(kind, leakyReluAlpha, views.projection, views.activated, this.geometry.outChannels, null, 0);
    else this.runtime.kernels.activate(this.base + this.layout.projection, this.base + this.layout.activated, views.activated.length, this.activationCode, leakyReluAlpha);
    if (this.outputCopy) this.outputCopy.set(views.activated);
    return -1;
  }

  clearTouched(): void {
    this.runtime.kernels.clearTouched(this.header);
  }

  detect(input: Float32Array, threshold: number, candidates: Int32Array | null, candidateCount: number, maxActive: number): number {
    const views = this.currentViews();
    this.outputCopy = undefined;
    if (candidates) {
      if (candidates.buffer === this.runtime.memory.buffer) {
        views.header[Field.Candidates] = candidates.byteOffset;
      } else {
        views.header[Field.Candidates] = this.base + this.layout.candidates;
        views.candidates.set(candidates.subarray(0, candidateCount));
      }
    }
    this.stagedForDetection = this.stage(views, input, candidates, candidateCount) ? input : undefined;
    return this.runtime.kernels.detectActive(this.header, threshold, candidates ? 1 : 0, candidateCount, maxActive);
  }

  deltasNonFinite(): boolean {
    return this.currentViews().header[Field.DeltasNonFinite] !== 0;
  }

  findNonFiniteDelta(activeCount: number): number {
    return this.runtime.kernels.findNonFinite(this.base + this.layout.deltas, activeCount * this.geometry.inChannels);
  }

  sparseUpdate(active: number): number {
    this.stagedForDetection = undefined;
    const { kernels } = this.runtime;
    const g = this.geometry;
    let macs: number;
    const pixelMacs = denseConvMacs(g) / (g.outHeight * g.outWidth);
    // A pointwise layer's touched pixels are its active pixels: recomputing them costs the same
    // multiply-adds as scattering, and splits across two threads without write conflicts.
    const splitPointwise = this.helper !== undefined && this.kind === 'pointwise' && active * pixelMacs >= HELPER_MIN_MACS;
    if (RECOMPUTED_KINDS.has(this.kind) || splitPointwise) {
      const touched = kernels.markTouched(this.header, active);
      this.runSplit(this.depthwise ? HelperJob.RecomputeDepthwise : HelperJob.RecomputeGeneral, touched, touched * pixelMacs);
      macs = touched * pixelMacs;
    } else {
      const taps = this.depthwise ? kernels.scatterDepthwise(this.header, active) : kernels.scatterGeneral(this.header, active);
      macs = taps * g.inChannels * (g.outChannels / g.groups);
    }
    const views = this.currentViews();
    const touchedCount = views.header[Field.TouchedCount]!;
    const { kind, leakyReluAlpha } = this.activation;
    if (this.activationCode !== undefined) kernels.activateTouched(this.header, this.activationCode, leakyReluAlpha);
    else activatePixels(kind, leakyReluAlpha, views.projection, views.activated, g.outChannels, views.touched, touchedCount);
    return macs;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.runtime.allocator.free(this.base);
    releaseWeights(this.runtime, this.weights);
  }

  /**
   * Points `Field.Staged` at the input: in place when it lives in this memory (the previous layer's
   * output), else at the state's copy of it, of the candidates' channels only when they are few.
   * Returns whether the staged input is whole.
   */
  private stage(views: Views, input: Float32Array, candidates: Int32Array | null, candidateCount: number): boolean {
    if (input.buffer === this.runtime.memory.buffer) {
      views.header[Field.Staged] = input.byteOffset;
      return true;
    }
    views.header[Field.Staged] = this.base + this.layout.staged;
    if (candidates !== null && candidateCount < PARTIAL_COPY_FRACTION * this.inputPixels) {
      stageCandidates(input, views.staged, candidates, candidateCount, this.geometry.inChannels);
      return false;
    }
    views.staged.set(input);
    return true;
  }

  /** A job over `count` rows or touched pixels: on two threads when there is a helper and enough work. */
  private runSplit(kind: HelperJob, count: number, macs: number): void {
    const scratch = this.base + this.layout.denseScratch;
    if (this.helper && macs >= HELPER_MIN_MACS) this.helper.run(kind, this.header, count, scratch, scratch + this.layout.denseScratchBytes);
    else runJob(this.runtime, kind, this.header, 0, count, scratch);
  }

  private currentViews(): Views {
    if (this.disposed) throw new Error('wasm conv state used after dispose()');
    if (this.views.buffer !== this.runtime.memory.buffer) this.views = this.createViews();
    return this.views;
  }

  private createViews(): Views {
    const buffer = this.runtime.memory.buffer;
    const { base, layout, geometry: g } = this;
    const outPixels = g.outHeight * g.outWidth;
    this.outputCopy ??= this.views === undefined ? new Float32Array(outPixels * g.outChannels) : undefined;
    return {
      buffer,
      header: new Int32Array(buffer, this.header, Field.Count),
      staged: new Float32Array(buffer, base + layout.staged, this.inputPixels * g.inChannels),
      integrated: new Float32Array(buffer, base + layout.integrated, layout.paddedHeight * layout.paddedWidth * g.inChannels),
      projection: new Float32Array(buffer, base + layout.projection, outPixels * g.outChannels),
      activated: new Float32Array(buffer, base + layout.activated, outPixels * g.outChannels),
      activePixels: new Int32Array(buffer, base + layout.activePixels, this.inputPixels),
      candidates: new Int32Array(buffer, base + layout.candidates, this.inputPixels),
      touched: new Int32Array(buffer, base + layout.touchedList, outPixels),
    };
  }
}

/**
 * Copies only the candidate pixels' channels: every other pixel is unchanged since the last call.
 * Runs of adjacent candidates (changes come in regions) go as one block copy each.
 */
function stageCandidates(input: Float32Array, staged: Float32Array, candidates: Int32Array, count: number, channels: number): void {
  let k = 0;
  while (k < count) {
    const first = candidates[k]!;
    let end = k + 1;
    while (end < count && candidates[end] === first + (end - k)) end++;
    const start = first * channels;
    const stop = (first + (end - k)) * channels;
    if (end - k >= 4) staged.set(input.subarray(start, stop), start);
    else for (let i = start; i < stop; i++) staged[i] = input[i]!;
    k = end;
  }
}
