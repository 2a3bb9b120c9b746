/**
 * The stage worker of the two-thread frame pipeline (started by `stage-thread.ts`): it rebuilds the
 * model from its bytes, then for each frame runs the steps after the cut on the values that crossed,
 * and posts the layers' stats and the graph outputs it made.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { backendFromRecipe } from '../kernels/backend-recipe.js';
import { emittedOutputs, GraphRunner, type ExecutorState } from './executor.js';
import { planFromBytes } from './model.js';
import { fromWire, type FromStage, type ModelRecipe, type StageFrame, type StageOptions, type ToStage } from './pipeline-protocol.js';

const { recipe, port, posted } = workerData as { recipe: ModelRecipe; port: MessagePort; posted: Int32Array };
const plan = planFromBytes(recipe.bytes, recipe.load);

/** Runners by options: a model's next subscription with the same options reuses the imported steps (packed weights). */
const runners = new Map<string, GraphRunner>();
const MAX_RUNNERS = 4;

interface Session {
  readonly id: number;
  readonly runner: GraphRunner;
  readonly state: ExecutorState;
  /** Per crossing value, the array it arrived in last frame (what a change hint is relative to). */
  readonly previous: Map<string, Float32Array>;
  failed: boolean;
}

let session: Session | undefined;

function runnerFor(options: StageOptions): GraphRunner {
  const key = JSON.stringify(options);
  let runner = runners.get(key);
  if (!runner) {
    const { backend, ...rest } = options;
    runner = new GraphRunner(plan, { ...rest, ...(backend ? { backend: backendFromRecipe(backend) } : {}) });
    if (runners.size >= MAX_RUNNERS) runners.delete(runners.keys().next().value!);
    runners.set(key, runner);
  }
  return runner;
}

function reply(message: FromStage, transfer: ArrayBuffer[] = []): void {
  port.postMessage(message, transfer);
  Atomics.add(posted, 0, 1);
  Atomics.notify(posted, 0);
}

function runFrame(current: Session, frame: StageFrame): void {
  const { runner, state, previous } = current;
  const prepared = runner.prepare(plan.forInput(frame.inputDims).graph);
  if (state.steps !== prepared.steps) previous.clear();
  runner.useSteps(state, prepared);
  state.inputScale = frame.inputScale;
  const values = new Map(prepared.constants);
  for (const [name, wire] of Object.entries(frame.values)) {
    values.set(name, fromWire(wire, frame.meta, previous.get(name)));
    previous.set(name, wire.data);
  }
  const run = { sized: plan.forInput(frame.inputDims), prepared, frame: { meta: frame.meta, stats: [] }, values };
  runner.runSteps(state, run, frame.start, prepared.steps.length);
  const outputs = emittedOutputs(values, frame.outputs, true);
  const wire = Object.fromEntries(Object.entries(outputs).map(([name, o]) => [name, { dims: [...o.dims], data: o.data }]));
  reply({ type: 'result', session: current.id, stats: run.frame.stats, outputs: wire }, Object.values(outputs).map((o) => o.data.buffer as ArrayBuffer));
}

function end(): void {
  if (session) session.runner.disposeState(session.state);
  session = undefined;
}

parentPort!.on('message', (message: ToStage) => {
  if (message.type === 'end') return end();
  if (message.type === 'start') {
    end();
    try {
      const runner = runnerFor(message.options);
      session = { id: message.session, runner, state: runner.createState(), previous: new Map(), failed: false };
    } catch (error) {
      reply({ type: 'error', session: message.session, name: (error as Error).name, message: (error as Error).message });
    }
    return;
  }
  const current = session;
  if (!current || current.failed) return; // the caller has been told already
  try {
    runFrame(current, message.frame);
  } catch (error) {
    current.failed = true;
    reply({ type: 'error', session: current.id, name: (error as Error).name, message: (error as Error).message });
  }
});
