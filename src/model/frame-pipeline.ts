/**
 * `model.operator({ threads: 2 })`: the graph as a two-stage frame pipeline. The caller's thread
 * runs the steps before the cut (`pipeline-cut.ts`) and hands the values that cross to a stage
 * worker, which runs the rest; while it does, the caller starts the next frame. Each layer's state
 * lives on the thread that runs the layer, so the outputs are the one-thread outputs bit for bit.
 *
 * Results are emitted in order, all of them before `complete`. On Node the thread is synchronous: the
 * source's `next` emits what has arrived and blocks once `PIPELINE_DEPTH` frames are in flight (a
 * synchronous `from(frames)` gets backpressure), and an idle caller (a live source) gets each result
 * from the event loop. In a page nothing may block: items wait in a queue while the pipeline is
 * full, and results arrive from the event loop only.
 */
import { Observable, Subject, type OperatorFunction } from 'rxjs';
import { RrmInputError } from '../layers/validate.js';
import { ModelImportError } from './errors.js';
import type { FeatureMap } from '../types.js';
import { emittedOutputs, graphOperator, GraphRunner, type ModelOperatorOptions, type ModelOutput, type OutputTensor } from './executor.js';
import type { GraphPlan } from './graph-plan.js';
import { chooseCut, type PipelineCut } from './pipeline-cut.js';
import { toWire, type FromStage, type ModelRecipe, type StageOptions, type WireValue } from './pipeline-protocol.js';
import type { SizedGraph } from './shape-folding.js';
import { acquireStageThread } from './stage-thread.js';

/**
 * Frames handed to the worker and not yet returned, at most. Deep enough to ride out runs of frames
 * that load one side: a codec's intra frame sends every layer dense, a person walking sends the deep
 * layers dense. On the person clip (UltraFace, τ = 0.02) the pipeline ran 1.2-1.3x one thread at
 * depth 2-3, 1.5x at 6-12 and 1.7x at 24. Only a source faster than the model fills it (a live
 * camera's frames find it empty), and it holds each frame's crossing values: a few MB.
 */
export const PIPELINE_DEPTH = 24;

/** How long the caller blocks at a time while it waits for the worker (then it checks that the worker still runs). */
const WAIT_MS = 200;

let sessions = 0;

interface InFlight {
  readonly meta: Omit<ModelOutput, 'outputs' | 'stats'>;
  readonly stats: ModelOutput['stats'];
  readonly local: Record<string, OutputTensor>;
}

/**
 * The pipelined graph over maps, or over frames when `toMaps` (the model's fused preprocessing) is
 * given: frames are then converted when the caller's stage takes them, so that a frame held back by
 * a full pipeline never has its map overwritten in place by a later one.
 */
export function pipelinedGraphOperator(plan: GraphPlan, recipe: () => ModelRecipe, options: ModelOperatorOptions): OperatorFunction<FeatureMap, ModelOutput>;
export function pipelinedGraphOperator<T>(plan: GraphPlan, recipe: () => ModelRecipe, options: ModelOperatorOptions, toMaps: OperatorFunction<T, FeatureMap>): OperatorFunction<T, ModelOutput>;
export function pipelinedGraphOperator<T>(plan: GraphPlan, recipe: () => ModelRecipe, options: ModelOperatorOptions, toMaps?: OperatorFunction<T, FeatureMap>): OperatorFunction<T, ModelOutput> {
  if (plan.graph.nodes.length < 2) {
    const operator = graphOperator(plan, options); // nothing to split
    return toMaps ? (source) => source.pipe(toMaps, operator) : (operator as unknown as OperatorFunction<T, ModelOutput>);
  }
  const runner = new GraphRunner(plan, options);
  const stageOptions = toStageOptions(options);
  const outputNames = plan.graph.outputs.map((o) => o.name);
  const cuts = new WeakMap<SizedGraph, PipelineCut>();
  const cutFor = (sized: SizedGraph) => {
    let cut = cuts.get(sized);
    if (!cut) cuts.set(sized, (cut = chooseCut(sized, options.splitAt)));
    return cut;
  };

  return (source) =>
    new Observable<ModelOutput>((subscriber) => {
      const session = ++sessions;
      const thread = acquireStageThread(recipe());
      thread.send({ type: 'start', session, options: stageOptions });
      const state = runner.createState();
      const inFlight: InFlight[] = [];
      /** Items the caller's stage has not taken yet (an asynchronous thread: the pipeline was full). */
      const waiting: T[] = [];
      /** Per crossing value, the array the caller's side held last frame (what a change hint must be relative to). */
      const lastSent = new Map<string, Float32Array>();
      let lastSteps = state.steps;
      let sourceDone = false;
      let done = false;
      let failed = false;

      const fail = (error: unknown) => {
        if (done) return;
        done = failed = true;
        subscriber.error(error);
      };
      const completeIfDrained = () => {
        if (done || !sourceDone || inFlight.length > 0 || waiting.length > 0) return;
        done = true;
        subscriber.complete();
      };

      /** The caller's stage on one map: the steps before the cut, then the crossing values to the worker. */
      const runFirstStage = (map: FeatureMap) => {
        if (done) return;
        try {
          const run = runner.begin(state, map);
          if (state.steps !== lastSteps) lastSent.clear(); // a new input size: fresh states on both sides
          lastSteps = state.steps;
          const cut = cutFor(run.sized);
          runner.runSteps(state, run, 0, cut.start);
          const transfer: ArrayBuffer[] = [];
          const values: Record<string, WireValue> = {};
          for (const name of cut.crossing) {
            const value = run.values.get(name)!;
            values[name] = toWire(value, lastSent.get(name), transfer);
            if (value.kind === 'map') lastSent.set(name, value.map.data);
          }
          const { meta, stats } = run.frame;
          inFlight.push({ meta, stats, local: emittedOutputs(run.values, cut.localOutputs) });
          thread.send({ type: 'frame', frame: { inputDims: plan.inputDims(map), meta, inputScale: state.inputScale, start: cut.start, values, outputs: cut.remoteOutputs } }, transfer);
        } catch (error) {
          fail(error);
        }
      };
      const taken = new Subject<T>();
      const maps = toMaps ? taken.pipe(toMaps) : (taken as unknown as Observable<FeatureMap>);
      const mapSubscription = maps.subscribe({ next: runFirstStage, error: fail });
      const take = (item: T) => taken.next(item);

      const deliver = (message: FromStage) => {
        if (done || (message.session !== undefined && message.session !== session)) return; // a previous subscription's
        if (message.type === 'error') return fail(stageError(message));
        const head = inFlight.shift()!;
        const outputs: Record<string, OutputTensor> = {};
        for (const name of outputNames) outputs[name] = head.local[name] ?? message.outputs[name]!;
        subscriber.next({ outputs, ...head.meta, stats: [...head.stats, ...message.stats] });
      };
      const drain = () => {
        for (let message = thread.poll?.(); message && !done; message = inFlight.length > 0 ? thread.poll?.() : undefined) deliver(message);
      };
      /** A synchronous thread: blocks until at most `count` frames are in flight. */
      const waitUntilAtMost = (count: number) => {
        drain();
        while (!done && inFlight.length > count) {
          thread.wait!(WAIT_MS);
          drain();
        }
      };
      thread.listen((message) => {
        deliver(message);
        drain();
        while (!done && waiting.length > 0 && inFlight.length < PIPELINE_DEPTH) take(waiting.shift()!);
        completeIfDrained();
      });

      const subscription = source.subscribe({
        next: (item) => {
          if (done) return;
          if (thread.wait) {
            take(item);
            waitUntilAtMost(PIPELINE_DEPTH - 1);
          } else if (inFlight.length < PIPELINE_DEPTH && waiting.length === 0) {
            take(item);
          } else {
            waiting.push(item);
          }
        },
        error: (error) => fail(error),
        complete: () => {
          sourceDone = true;
          if (thread.wait) waitUntilAtMost(0);
          completeIfDrained();
        },
      });
      return () => {
        done = true;
        subscription.unsubscribe();
        mapSubscription.unsubscribe();
        thread.send({ type: 'end' });
        thread.release(failed);
        runner.disposeState(state);
      };
    });
}

/** The options as the worker rebuilds them; the backend must say how (`KernelBackend.recipe`). */
function toStageOptions(options: ModelOperatorOptions): StageOptions {
  const { backend, threads: _threads, splitAt: _splitAt, ...rest } = options;
  if (backend && !backend.recipe) {
    throw new RrmInputError(`threads: 2 runs half the graph on a worker thread, which must build the same kernel backend; backend '${backend.name}' has no recipe (use createNativeBackend, createWasmBackend or jsBackend)`);
  }
  return { ...rest, ...(backend ? { backend: backend.recipe } : {}) };
}

/** The worker's error as the caller's: input errors keep their class, so callers can tell them apart. */
function stageError({ name, message }: Extract<FromStage, { type: 'error' }>): Error {
  const known: Record<string, new (message: string) => Error> = { RrmInputError, ModelImportError, RangeError, TypeError };
  return new (known[name] ?? Error)(message);
}
