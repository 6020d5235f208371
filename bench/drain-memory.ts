/**
 * Peak RSS of the real `eventsync sync --once` process draining 10k and then 200k events
 * into a file, then into Postgres: memory must not grow with the backlog (target: at most 1.2x). Both runs are
 * measured alike, by heap-probe.cjs inside the sync process: its own VmHWM as it exits, the
 * size V8 gave its young generation, and the heap still live after a full GC (flat means
 * nothing accumulates per event). The sandbox serves from a process of its own.
 *
 * The sync gets the caller's NODE_OPTIONS (so `NODE_OPTIONS=--max-old-space-size=64 npm run
 * bench` measures that flag) and the line says which were in effect.
 * `EVENTSYNC_BENCH_BACKLOGS=10000,400000` measures other backlogs; the ratio is last / first.
 */
import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { startPostgres } from '../test/support/postgres.ts';
import { CLI, sandboxProcess, seconds, verdict } from './support.ts';

const HEAP_PROBE = fileURLToPath(new URL('./heap-probe.cjs', import.meta.url));
const BACKLOGS = (process.env.EVENTSYNC_BENCH_BACKLOGS ?? '10000,200000').split(',').map(Number);

interface Probe {
  readonly peakRssKb: number;
  readonly youngGenerationBytes: number;
  readonly liveHeapBytes: number;
}

/** Where a drain writes: the NDJSON file, or a Postgres server of the benchmark's own. */
interface DrainSink {
  readonly name: string;
  args(dir: string, events: number): string[];
  count(dir: string, events: number): Promise<number>;
}

const FILE_SINK: DrainSink = {
  name: 'a file',
  args: (dir) => ['--data-dir', dir],
  count: (dir) => countLines(join(dir, 'events.ndjson')),
};

function postgresSink(url: string): DrainSink {
  return {
    name: 'Postgres',
    args: (dir, events) => ['--data-dir', dir, '--sink', url, '--source', `drain-${events}`],
    count: async (_dir, events) => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        const { rows } = await client.query<{ count: string }>('SELECT count(*) FROM eventsync_events WHERE source = $1', [`drain-${events}`]);
        return Number(rows[0]!.count);
      } finally {
        await client.end();
      }
    },
  };
}

async function drain(events: number, sink: DrainSink): Promise<Probe & { ms: number }> {
  const sandbox = await sandboxProcess({ seed: 4, policies: false, visibilityLagMs: 0, backlog: { count: events, spanMs: 12 * 3_600_000 } });
  const dir = await mkdtemp(join(tmpdir(), 'eventsync-bench-'));
  const probe = join(dir, 'probe.json');
  const start = performance.now();
  const child = spawn(
    process.execPath,
    [CLI, 'sync', '--once', '--lookback', '1s', '--no-status', '--rate-limit', 'read:1000000/1m', '--budget-share', '1', ...sink.args(dir, events)],
    {
      env: {
        ...process.env,
        EVENTSYNC_BASE_URL: sandbox.url,
        EVENTSYNC_API_KEY: sandbox.apiKey,
        EVENTSYNC_HEAP_PROBE: probe,
        NODE_OPTIONS: [process.env.NODE_OPTIONS, '--expose-gc', `--require ${HEAP_PROBE}`].filter(Boolean).join(' '),
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  const ms = performance.now() - start;
  try {
    if (code !== 0) throw new Error(`sync exited with ${code}:\n${stderr}`);
    const stored = await sink.count(dir, events);
    if (stored !== events) throw new Error(`synced ${stored} events, expected ${events}`);
    return { ...(JSON.parse(await readFile(probe, 'utf8')) as Probe), ms };
  } finally {
    await rm(dir, { recursive: true, force: true });
    await sandbox.stop();
  }
}

/** Streamed: the 200k file is 50 MB, which a heap-capped benchmark process could not hold as one string. */
async function countLines(path: string): Promise<number> {
  let lines = 0;
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) lines++;
  }
  return lines;
}

export async function run(): Promise<void> {
  await measure(FILE_SINK);
  const server = await startPostgres();
  try {
    await measure(postgresSink(server.url));
  } finally {
    await server.stop();
  }
}

async function measure(sink: DrainSink): Promise<void> {
  const runs: Array<Probe & { ms: number; events: number }> = [];
  for (const events of BACKLOGS) runs.push({ ...(await drain(events, sink)), events });
  const mib = (bytes: number): string => `${(bytes / 1048576).toFixed(1)} MiB`;
  console.log(`\n## Peak RSS of \`eventsync sync --once\` into ${sink.name}`);
  console.log(`peak RSS: VmHWM of the sync process itself, read as it exits; node flags: ${process.env.NODE_OPTIONS || 'defaults'}`);
  for (const run of runs) {
    const rate = Math.round(run.events / (run.ms / 1000)).toLocaleString('en-US');
    console.log(
      `${run.events.toLocaleString('en-US')} events: peak RSS ${mib(run.peakRssKb * 1024)}, young generation ${mib(run.youngGenerationBytes)}, ` +
        `live heap after GC ${mib(run.liveHeapBytes)}, ${seconds(run.ms)} (${rate} events/s end to end, a durable commit per page)`,
    );
  }
  const first = runs[0]!;
  const last = runs.at(-1)!;
  const ratio = last.peakRssKb / first.peakRssKb;
  console.log(
    `peak RSS ratio ${ratio.toFixed(3)} (target <= 1.2: ${verdict(ratio <= 1.2)}); live heap ratio ${(last.liveHeapBytes / first.liveHeapBytes).toFixed(3)}`,
  );
}
