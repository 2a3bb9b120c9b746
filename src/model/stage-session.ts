/**
 * What a stage worker of the two-thread frame pipeline does with each message, whatever thread
 * API carries them (`stage-worker.ts` on Node, `src/browser/stage-worker.ts` in a page): for each
 * frame it runs the steps after the cut on the values that crossed, and replies with the layers'
 * stats and the graph outputs it made.
 */
import { backendFromRecipe } from '../kernels/backend-recipe.js';
import { emittedOutputs, GraphRunner, type ExecutorState } from './executor.js';
import type { GraphPlan } from './graph-plan.js';
import { fromWire, type FromStage, type StageFrame, type StageOptions, type ToStage } from './pipeline-protocol.js';

/** Runners kept by options: a model's next subscription with the same options reuses the imported steps (packed weights). */
const MAX_RUNNERS = 4;

interface Session {
  readonly id: number;
  readonly runner: GraphRunner;
  readonly state: ExecutorState;
  /** Per crossing value, the array it arrived in last frame (what a change hint is relative to). */
  readonly previous: Map<string, Float32Array>;
  failed: boolean;
}

export type Reply = (message: FromStage, transfer?: ArrayBuffer[]) => void;

/** The handler of one worker's messages, over the model's plan. */
export function stageMessageHandler(plan: GraphPlan, reply: Reply): (message: ToStage) => void {
  const runners = new Map<string, GraphRunner>();
  let session: Session | undefined;

  const runnerFor = (options: StageOptions): GraphRunner => {
    const key = JSON.stringify(options);
    let runner = runners.get(key);
    if (!runner) {
      const { backend, ...rest } = options;
      runner = new GraphRunner(plan, { ...rest, ...(backend ? { backend: backendFromRecipe(backend) } : {}) });
      if (runners.size >= MAX_RUNNERS) runners.delete(runners.keys().next().value!);
      runners.set(key, runner);
    }
    return runner;
  };

  const runFrame = (current: Session, frame: StageFrame): void => {
    const { runner, state, previous } = current;
    const sized = plan.forInput(frame.inputDims);
    const prepared = runner.prepare(sized.graph);
    if (state.steps !== prepared.steps) previous.clear();
    runner.useSteps(state, prepared);
    state.inputScale = frame.inputScale;
    const values = new Map(prepared.constants);
    for (const [name, wire] of Object.entries(frame.values)) {
      values.set(name, fromWire(wire, frame.meta, previous.get(name)));
      previous.set(name, wire.data);
    }
    const run = { sized, prepared, frame: { meta: frame.meta, stats: [] }, values };
    runner.runSteps(state, run, frame.start, prepared.steps.length);
    const outputs = emittedOutputs(values, frame.outputs, true);
    const wire = Object.fromEntries(Object.entries(outputs).map(([name, o]) => [name, { dims: [...o.dims], data: o.data }]));
    reply({ type: 'result', session: current.id, stats: run.frame.stats, outputs: wire }, Object.values(outputs).map((o) => o.data.buffer as ArrayBuffer));
  };

  const end = () => {
    if (session) session.runner.disposeState(session.state);
    session = undefined;
  };
  const errorReply = (id: number, error: unknown): FromStage => ({ type: 'error', session: id, name: (error as Error).name ?? 'Error', message: (error as Error).message ?? String(error) });

  return (message) => {
    if (message.type === 'init') return;
    if (message.type === 'end') return end();
    if (message.type === 'start') {
      end();
      try {
        const runner = runnerFor(message.options);
        session = { id: message.session, runner, state: runner.createState(), previous: new Map(), failed: false };
      } catch (error) {
        reply(errorReply(message.session, error));
      }
      return;
    }
    const current = session;
    if (!current || current.failed) return; // the caller has been told already
    try {
      runFrame(current, message.frame);
    } catch (error) {
      current.failed = true;
      reply(errorReply(current.id, error));
    }
  };
}
