// Every file of examples/ is run by a test, and imports rx-rrm by its package name, as a user's copy would.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { EXAMPLE_TESTS, REPO_ROOT } from '../helpers/examples.js';

t.test('every example has a test and imports rx-rrm by name', async (t) => {
  const examples = readdirSync(join(REPO_ROOT, 'examples')).filter((f) => f.endsWith('.ts')).map((f) => f.slice(0, -3));
  t.same(examples.filter((name) => !EXAMPLE_TESTS[name]), [], 'examples without a test (add them to test/helpers/examples.ts)');
  const files = [...examples.map((n) => `examples/${n}.ts`), ...readdirSync(join(REPO_ROOT, 'examples/lib')).map((f) => `examples/lib/${f}`)];
  for (const file of files) {
    const source = readFileSync(join(REPO_ROOT, file), 'utf8');
    t.notMatch(source, /from '\.\.?\/(\.\.\/)*src\//, `${file} does not reach into src/`);
  }
});
