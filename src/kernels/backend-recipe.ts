/** A backend rebuilt from its recipe, on another thread (the stage worker of the frame pipeline). */
import type { BackendRecipe, KernelBackend } from './backend.js';
import { jsBackend } from './js/js-backend.js';
import { createNativeBackend } from './native/native-backend.js';
import { createWasmBackend } from './wasm/wasm-backend.js';

export function backendFromRecipe(recipe: BackendRecipe): KernelBackend {
  switch (recipe.factory) {
    case 'native':
      return createNativeBackend(recipe.options);
    case 'wasm':
      return createWasmBackend(recipe.options);
    case 'js':
      return jsBackend;
  }
}
