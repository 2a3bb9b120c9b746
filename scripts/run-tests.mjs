// Runs the tap suite and closes with the plain "N passed, N failed" line that CI reads.
// tap's own summary is a `# { total: N, pass: N, fail: N, ... }` comment; it is parsed, not trusted blindly:
// a run whose summary is missing counts as failed.
import { spawn } from 'node:child_process';

const args = ['tap', ...process.argv.slice(2)];
const child = spawn('npx', args, { stdio: ['ignore', 'pipe', 'inherit'] });
let tail = '';
child.stdout.on('data', (chunk) => {
  process.stdout.write(chunk);
  tail = (tail + chunk.toString()).slice(-4096);
});
child.on('close', (code) => {
  const summary = /# \{ total: (\d+), pass: (\d+)(?:, fail: (\d+))?(?:, skip: (\d+))?[^}]*\}/.exec(tail);
  if (!summary) {
    console.log('0 passed, 1 failed');
    process.exit(code || 1);
  }
  const pass = Number(summary[2]);
  const fail = Number(summary[3] ?? 0);
  const skip = Number(summary[4] ?? 0);
  console.log(`${pass} passed, ${fail} failed${skip ? `, ${skip} skipped` : ''}`);
  process.exit(code ?? 1);
});
