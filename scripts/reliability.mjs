// `npm run fuzz` and `npm run soak`: the long, bounded versions of the reliability suite (npm test
// runs short ones). Runs the matching test files under tap with RRM_RELIABILITY=long, one file at a
// time (each already loads both cores), and prints each part's figures (the tap comments) at the end.
import { spawn } from 'node:child_process';

const PARTS = {
  fuzz: ['protocol-fuzz', 'floods', 'video-fuzz', 'file-fuzz', 'option-fuzz'],
  soak: ['soak'],
};
const which = process.argv[2];
const files = PARTS[which];
if (!files) {
  console.error(`usage: node scripts/reliability.mjs ${Object.keys(PARTS).join('|')}`);
  process.exit(2);
}
const figures = [];
let failed = 0;
for (const name of files) {
  const code = await new Promise((resolve) => {
    const child = spawn('npx', ['tap', '--jobs', '1', '--timeout', '3600', '-R', 'tap', `test/reliability/${name}.test.ts`], {
      env: { ...process.env, RRM_RELIABILITY: 'long' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let tail = '';
    child.stdout.on('data', (chunk) => {
      process.stdout.write(chunk);
      tail += chunk.toString();
    });
    child.on('close', (exitCode) => {
      for (const line of tail.split('\n')) {
        const comment = /^\s+# ((TCP|WebSocket|tcp|ws|truncations|byte flips|Y4M|images|ONNX|option fuzz|soak)\b.*)$/.exec(line);
        if (comment) figures.push(comment[1]);
      }
      resolve(exitCode ?? 1);
    });
  });
  if (code !== 0) failed++;
}
console.log(`\n${which}: ${files.length - failed} of ${files.length} parts passed`);
for (const line of figures) console.log(`- ${line}`);
process.exit(failed === 0 ? 0 : 1);
