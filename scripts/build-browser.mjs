// Builds `rx-rrm/browser`: src/browser/index.ts bundled by esbuild into one ES module,
// dist/browser/rx-rrm.js, with the WebAssembly kernels copied beside it (the bundle fetches them
// from its own URL). Node-only modules are swapped for their browser twins (BROWSER_TWINS), and any
// Node built-in that still gets imported fails the build, naming the file that imports it.
// Run by `npm run build` (so by `npm install`); `node scripts/build-browser.mjs` alone takes ~1 s.
import { copyFileSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const BROWSER_BUNDLE = join(ROOT, 'dist/browser/rx-rrm.js');
/** The stage worker of `threads: 2` models, which the bundle starts from its own directory. */
export const STAGE_WORKER_BUNDLE = join(ROOT, 'dist/browser/rx-rrm-stage-worker.js');
export const STAGE_WORKER_ENTRY = join(ROOT, 'src/browser/stage-worker.ts');

/** Node-only module -> its browser twin (same exports). */
export const BROWSER_TWINS = {
  'src/kernels/wasm/node-platform.ts': 'src/browser/wasm-platform.ts',
  'src/kernels/default-backend.ts': 'src/browser/default-backend.ts',
  'src/kernels/native/native-addon.ts': 'src/browser/no-native-addon.ts',
  'src/sources/runtime.ts': 'src/browser/source-runtime.ts',
  'src/model/model-file.ts': 'src/browser/model-url.ts',
  'src/model/stage-thread.ts': 'src/browser/stage-thread.ts',
};

/** Relative imports of the project's own files that have a twin resolve to the twin. */
const browserTwins = {
  name: 'rx-rrm-browser-twins',
  setup(build) {
    build.onResolve({ filter: /^\.\.?\// }, (args) => {
      if (!args.importer.startsWith(join(ROOT, 'src'))) return undefined;
      const target = relative(ROOT, resolve(args.resolveDir, args.path)).replace(/\.js$/, '.ts');
      const twin = BROWSER_TWINS[target];
      return twin ? { path: join(ROOT, twin) } : undefined;
    });
  },
};

const builtins = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));

/** Every Node built-in is an error: a browser has none of them. */
export const noNodeBuiltins = {
  name: 'no-node-builtins',
  setup(build) {
    build.onResolve({ filter: /.*/ }, (args) => {
      const base = args.path.startsWith('node:') ? args.path : args.path.split('/')[0];
      if (!builtins.has(base) && !args.path.startsWith('node:')) return undefined;
      return { errors: [{ text: `Node built-in '${args.path}' imported by ${relative(ROOT, args.importer)}: the browser bundle cannot use it` }] };
    });
  },
};

/**
 * Bundles `entry` for browsers; resolves to esbuild's result (errors included, nothing thrown, so
 * that a test can look at them). `outfile` undefined: nothing written.
 */
export async function bundleForBrowser({ entry = join(ROOT, 'src/browser/index.ts'), outfile = BROWSER_BUNDLE } = {}) {
  try {
    return await esbuild.build({
      entryPoints: [entry],
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      minify: true,
      sourcemap: outfile !== undefined,
      ...(outfile === undefined ? { write: false, outdir: join(ROOT, 'dist/browser') } : { outfile }),
      plugins: [browserTwins, noNodeBuiltins],
      metafile: true,
      logLevel: 'silent',
    });
  } catch (failure) {
    return { errors: failure.errors ?? [{ text: String(failure) }], warnings: failure.warnings ?? [] };
  }
}

/** The bundle and the kernels beside it. */
export async function buildBrowser() {
  const started = Date.now();
  const result = await bundleForBrowser();
  if (result.errors.length) return result;
  const worker = await bundleForBrowser({ entry: STAGE_WORKER_ENTRY, outfile: STAGE_WORKER_BUNDLE });
  if (worker.errors.length) return worker;
  const wasmDir = join(ROOT, 'build/wasm');
  for (const file of readdirSync(wasmDir).filter((f) => f.endsWith('.wasm'))) copyFileSync(join(wasmDir, file), join(dirname(BROWSER_BUNDLE), file));
  return { ...result, ms: Date.now() - started };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  mkdirSync(dirname(BROWSER_BUNDLE), { recursive: true });
  const result = await buildBrowser();
  if (result.errors.length) {
    for (const error of result.errors) console.error(`build-browser: ${error.location ? `${error.location.file}:${error.location.line}: ` : ''}${error.text}`);
    process.exit(1);
  }
  console.log(`build-browser: ${BROWSER_BUNDLE} (${statSync(BROWSER_BUNDLE).size} bytes, ${result.ms} ms)`);
}
