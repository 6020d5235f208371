/**
 * `npm run bench`: every benchmark, each printing a ratio against a baseline measured in
 * the same run. `npm run bench -- drain` runs the ones whose name contains "drain".
 */
import * as backfill from './backfill-rate-limit.ts';
import * as memory from './drain-memory.ts';
import * as postgres from './postgres-storage.ts';
import * as sqlite from './sqlite-storage.ts';
import * as metrics from './metrics-overhead.ts';
import * as tail from './tail-budget.ts';
import * as drain from './unthrottled-drain.ts';
import * as verify from './verify-signatures.ts';
import * as receiver from './webhook-receiver.ts';
import * as recovery from './webhook-recovery.ts';
import * as runScale from './run-scale.ts';
import * as runFairness from './run-fairness.ts';
import * as takeover from './takeover.ts';

const benchmarks: Record<string, { run(): Promise<void> }> = {
  'backfill-rate-limit': backfill,
  'unthrottled-drain': drain,
  'drain-memory': memory,
  'verify-signatures': verify,
  'webhook-receiver': receiver,
  'webhook-recovery': recovery,
  'tail-budget': tail,
  'postgres-storage': postgres,
  'sqlite-storage': sqlite,
  'metrics-overhead': metrics,
  'run-scale': runScale,
  'run-fairness': runFairness,
  takeover,
};

const filter = process.argv[2];
console.log(`eventsync benchmarks on Node ${process.version}, ${new Date().toISOString()}`);
for (const [name, benchmark] of Object.entries(benchmarks)) {
  if (filter && !name.includes(filter)) continue;
  await benchmark.run();
}
