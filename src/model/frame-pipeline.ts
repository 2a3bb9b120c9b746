/**
 * `model.operator({ threads: 2 })`: the graph as a two-stage frame pipeline. The caller's thread
 * runs the steps before the cut (`pipeline-cut.ts`) and hands the values that cross to a stage
 * worker, which runs the rest; while it does, the caller starts the next frame. Each layer's state
 * lives on the thread that runs the layer, so the outputs are the one-thread outputs bit for bit.
 *
 * Results are emitted in order, from the source's `next` (a synchronous source like `from(frames)`
 * is held back, blocking, once `PIPELINE_DEPTH` frames are in flight), from the event loop when the
 * caller is idle (a live source), and all of them before `complete`.
 */
import { Observable, type OperatorFunction } from 'rxjs';
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

/** How long the caller blocks at a time while it waits for the worker (then it looks again). */
const WAIT_MS = 1000;

let sessions = 0;

interface InFlight {
  readonly meta: Omit<ModelOutput, 'outputs' | 'stats'>;
  readonly stats: ModelOutput['stats'];
  readonly local: Record<string, OutputTensor>;
}

export function pipelinedGraphOperator(plan: GraphPlan, recipe: () => ModelRecipe, options: ModelOperatorOptions): OperatorFunction<FeatureMap, ModelOutput> {
  if (plan.graph.nodes.length < 2) return graphOperator(plan, options); // nothing to split
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
      /** Per crossing value, the array the caller's side held last frame (what a change hint must be relative to). */
      const lastSent = new Map<string, Float32Array>();
      let lastSteps = state.steps;
      let done = false;
      let failed = false;

      const fail = (error: unknown) => {
        if (done) return;
        done = failed = true;
        subscriber.error(error);
      };
      const deliver = (message: FromStage) => {
        if (done || (message.session !== undefined && message.session !== session)) return; // a previous subscription's
        if (message.type === 'error') return fail(stageError(message));
        const head = inFlight.shift()!;
        const outputs: Record<string, OutputTensor> = {};
        for (const name of outputNames) outputs[name] = head.local[name] ?? message.outputs[name]!;
        subscriber.next({ outputs, ...head.meta, stats: [...head.stats, ...message.stats] });
      };
      const drain = () => {
        while (!done && inFlight.length > 0) {
          const message = thread.poll();
          if (!message) return;
          deliver(message);
        }
      };
      const waitUntilAtMost = (count: number) => {
        drain();
        while (!done && inFlight.length > count) {
          thread.wait(WAIT_MS);
          drain();
        }
      };
      thread.listen((message) => {
        deliver(message);
        drain();
      });

      const subscription = source.subscribe({
        next: (map) => {
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
            return fail(error);
          }
          waitUntilAtMost(PIPELINE_DEPTH - 1);
        },
        error: (error) => fail(error),
        complete: () => {
          waitUntilAtMost(0);
          if (done) return;
          done = true;
          subscriber.complete();
        },
      });
      return () => {
        done = true;
        subscription.unsubscribe();
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
