/**
 * The stage worker of the two-thread frame pipeline in a page (a module Web Worker started by
 * src/browser/stage-thread.ts, bundled as `rx-rrm-stage-worker.js`): it loads the WebAssembly
 * kernels (one thread: it is the second thread) and the model from the first message, then hands
 * every message to `stage-session.ts`; messages that arrive while it loads wait their turn.
 */
import { planFromBytes } from '../model/model.js';
import type { FromStage, ToStage } from '../model/pipeline-protocol.js';
import { stageMessageHandler } from '../model/stage-session.js';
import { loadWasmKernels } from './wasm-kernels.js';

const scope = globalThis as unknown as { onmessage: ((event: MessageEvent<ToStage>) => void) | null; postMessage(message: FromStage, transfer: Transferable[]): void };
const reply = (message: FromStage, transfer: ArrayBuffer[] = []) => scope.postMessage(message, transfer);

let handle: ((message: ToStage) => void) | undefined;
const waiting: ToStage[] = [];

/** The page's wasm backend may use two threads; here it is the second thread itself. */
function oneThread(message: ToStage): ToStage {
  const backend = message.type === 'start' ? message.options.backend : undefined;
  if (message.type !== 'start' || backend?.factory !== 'wasm') return message;
  return { ...message, options: { ...message.options, backend: { factory: 'wasm', options: { ...backend.options, threads: 1 } } } };
}

scope.onmessage = (event) => {
  const message = oneThread(event.data);
  if (message.type !== 'init') {
    if (handle) handle(message);
    else waiting.push(message);
    return;
  }
  loadWasmKernels({ threads: 1 })
    .then(() => {
      handle = stageMessageHandler(planFromBytes(message.recipe.bytes, message.recipe.load), reply);
      for (const queued of waiting.splice(0)) handle(queued);
    })
    .catch((error: unknown) => reply({ type: 'error', session: undefined, name: 'Error', message: `the pipeline's stage worker could not start: ${(error as Error).message}` }));
};
