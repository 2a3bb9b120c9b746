// Runs the tap suite and closes with the plain "N passed, N failed, N skipped" line that CI reads,
// preceded by the skips counted by reason. tap's own summary is a `# { total: N, pass: N, fail: N, ... }`
// comment; it is parsed, not trusted blindly: a run whose summary is missing counts as failed. The
// skip reasons come from the raw TAP that tap keeps per test file in .tap/test-results.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

const RESULTS = '.tap/test-results';
rmSync(RESULTS, { recursive: true, force: true }); // reasons of this run only
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
  if (skip) {
    const reasons = skipReasons(RESULTS);
    console.log(`skipped, by reason:\n${[...reasons].sort((a, b) => b[1] - a[1]).map(([reason, n]) => `  ${n} × ${reason}`).join('\n')}`);
  }
  console.log(`${pass} passed, ${fail} failed${skip ? `, ${skip} skipped` : ''}`);
  process.exit(code ?? 1);
});

/** Counts `ok N - name # SKIP reason` lines of every result file by reason. */
function skipReasons(dir) {
  const counts = new Map();
  for (const file of tapFiles(dir)) {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const skipped = /^\s*ok \d+ - .*?# SKIP\s*(.*)$/.exec(line);
      if (!skipped) continue;
      const reason = skipped[1].trim() || 'no reason given';
      counts.set(reason, (counts.get(reason) ?? 0) + 1);
    }
  }
  return counts;
}

function tapFiles(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? tapFiles(path) : path.endsWith('.tap') ? [path] : [];
  });
}
