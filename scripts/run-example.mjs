// `npm run example -- <name> [args...]`: runs examples/<name>.ts under ts-node, as a user would copy it.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';

const [name, ...args] = process.argv.slice(2);
const available = readdirSync(new URL('../examples/', import.meta.url)).filter((f) => f.endsWith('.ts')).map((f) => f.slice(0, -3));
if (!name || !available.includes(name)) {
  console.error(`usage: npm run example -- <name> [args...]\navailable: ${available.sort().join(', ')}`);
  process.exit(2);
}
const result = spawnSync(process.execPath, ['--conditions=rx-rrm-source', '--loader', 'ts-node/esm', '--no-warnings', `examples/${name}.ts`, ...args], { stdio: 'inherit' });
process.exit(result.status ?? 1);
