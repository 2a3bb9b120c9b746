// `npm run export-models [-- --only name,name]`: runs scripts/export-torch-models.py with a Python
// that has PyTorch and torchvision ($PYTHON, then python3 on PATH, then Debian's /usr/bin/python3,
// which python3-torch installs into: a pyenv or venv python3 on PATH often lacks it).
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const script = join(dirname(fileURLToPath(import.meta.url)), 'export-torch-models.py');
const candidates = [process.env.PYTHON, 'python3', '/usr/bin/python3'].filter(Boolean);
const python = candidates.find((p) => spawnSync(p, ['-c', 'import torch, torchvision'], { stdio: 'ignore' }).status === 0);
if (!python) {
  console.error(`export-models: no Python with torch and torchvision (tried ${candidates.join(', ')}); on Debian: apt-get install python3-torch python3-torchvision`);
  process.exit(1);
}
const result = spawnSync(python, [script, ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(result.status ?? 1);
