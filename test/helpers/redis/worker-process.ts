/**
 * A worker process of the Redis tests: `redisWorkers` over every camera with the demo pipeline,
 * printing each event as a JSON line. Arguments: Redis URL, worker id, lease time (ms). A line
 * "stop" on stdin stops it gracefully (then it exits); stdin closing (the test ended) exits at once.
 */
import { Subject } from 'rxjs';
import { redisWorkers } from '../../../src/scale/workers.js';
import { demoPipeline } from './demo-pipeline.js';

const [url, workerId, leaseMs] = process.argv.slice(2);
const stop = new Subject<void>();
redisWorkers(url!, { workerId: workerId!, pipeline: demoPipeline(), leaseMs: Number(leaseMs), until: stop }).subscribe({
  next: (event) => console.log(JSON.stringify({ ...event, at: Date.now() })),
  error: (error: Error) => {
    console.log(JSON.stringify({ type: 'fatal', message: error.message }));
    process.exit(1);
  },
  complete: () => process.exit(0),
});
process.stdin.setEncoding('utf8');
process.stdin.on('data', (text: string) => {
  if (text.includes('stop')) stop.next();
});
process.stdin.on('end', () => process.exit(0));
