// rx-rrm/browser holds no Node built-in: it builds with every one of them marked as an error, and
// that check does fail on a file that imports one. Node-only modules have browser twins (the table
// in scripts/build-browser.mjs), which must exist and be what the bundle took.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { BROWSER_TWINS, bundleForBrowser, ROOT, STAGE_WORKER_ENTRY } from '../../scripts/build-browser.mjs';

t.test('the browser entry bundles with Node built-ins as errors', async (t) => {
  const result = await bundleForBrowser({ outfile: undefined });
  t.same(result.errors.map((e) => e.text), [], 'no errors');
  const inputs = Object.keys('metafile' in result && result.metafile ? result.metafile.inputs : {});
  t.ok(inputs.length > 50, `bundled ${inputs.length} files`);
  for (const [node, twin] of Object.entries(BROWSER_TWINS)) {
    t.ok(existsSync(join(ROOT, twin)), `${twin} exists`);
    t.notOk(inputs.includes(node), `${node} is not in the bundle`);
  }
  t.ok(inputs.includes('src/browser/wasm-platform.ts'), 'the browser platform of the wasm kernels is');
  t.notOk(inputs.some((f) => /node_modules\/ws\//.test(f)), 'the Node WebSocket package is not');
  t.notOk(inputs.some((f) => /node_modules\/ioredis\/|^src\/scale\/|redis/.test(f)), 'nor Redis (ioredis, the worker pool, the Redis sources)');
});

t.test("the frame pipeline's stage worker bundles with Node built-ins as errors", async (t) => {
  const result = await bundleForBrowser({ entry: STAGE_WORKER_ENTRY, outfile: undefined });
  t.same(result.errors.map((e) => e.text), [], 'no errors');
  const inputs = Object.keys('metafile' in result && result.metafile ? result.metafile.inputs : {});
  t.ok(inputs.includes('src/model/stage-session.ts') && inputs.includes('src/browser/wasm-kernels.ts'), 'it holds the stage session and the kernels loader');
  t.notOk(inputs.includes('src/model/stage-worker.ts') || inputs.includes('src/model/stage-thread.ts'), "not Node's worker or thread");
});

t.test('the check fails, naming the importer, when a bundled file imports a Node built-in', async (t) => {
  mkdirSync(join(ROOT, '.tap'), { recursive: true });
  const dir = mkdtempSync(join(ROOT, '.tap/node-import-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  for (const [file, source] of [
    ['prefixed.ts', "import { readFileSync } from 'node:fs';\nexport const read = readFileSync;\n"],
    ['bare.ts', "import { join } from 'path';\nexport const joined = join('a', 'b');\n"],
  ] as const) {
    writeFileSync(join(dir, file), source);
    const result = await bundleForBrowser({ entry: join(dir, file), outfile: undefined });
    t.equal(result.errors.length, 1, `${file}: one error`);
    t.match(result.errors[0]?.text ?? '', new RegExp(`Node built-in '(node:fs|path)' imported by .*${file}: the browser bundle cannot use it`));
  }
});
