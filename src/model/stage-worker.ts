/**
 * The stage worker of the two-thread frame pipeline on Node (started by `stage-thread.ts`): the
 * model rebuilt from its bytes, each message handled by `stage-session.ts`, each reply counted in
 * the shared word the caller blocks on.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { planFromBytes } from './model.js';
import type { ModelRecipe, ToStage } from './pipeline-protocol.js';
import { stageMessageHandler, type Reply } from './stage-session.js';

const { recipe, port, posted } = workerData as { recipe: ModelRecipe; port: MessagePort; posted: Int32Array };

const reply: Reply = (message, transfer = []) => {
  port.postMessage(message, transfer);
  Atomics.add(posted, 0, 1);
  Atomics.notify(posted, 0);
};

try {
  const handle = stageMessageHandler(planFromBytes(recipe.bytes, recipe.load), reply);
  parentPort!.on('message', (message: ToStage) => handle(message));
} catch (error) {
  reply({ type: 'error', session: undefined, name: (error as Error).name, message: `the pipeline's stage worker could not read the model: ${(error as Error).message}` });
}
