/**
 * A long backfill must not make V8 grow its young generation (README, Benchmarks: the peak RSS
 * rows). V8 grows it by what survives its young-generation collections, so what a commit
 * allocated has to be gone by the next one. A child process commits pages the way the sync
 * engine does (test/support/commit-survivors.ts) under `--trace-gc-nvp`, and this reads from
 * V8's own lines how many bytes those collections promoted to the old generation per page,
 * over what the same pages cost with nothing tracked or stored.
 *
 * Measured on Node 24, over that baseline (about 1.6 KB a page): 0.4-0.8 KB a page. Committed
 * through pg's promise-returning `query()` (postgres-connection.ts says why) it was 19 KB; with a
 * checkpoint Map taking in each page's ids only to drop them (checkpoint.ts, remember()) 4-5 KB,
 * and with the NDJSON storage's own such Map (ndjson-file-storage.ts, append()) 9 KB.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, type PostgresServer } from './support/postgres.js';

const CHILD = fileURLToPath(new URL('./support/commit-survivors.ts', import.meta.url));
const PAGES = 600;
/** Bytes a page may add to what its young-generation collections promote. */
const LIMIT = 2_048;

interface Promotion {
  readonly scavenges: number;
  readonly bytesPerPage: number;
}

/** Runs the child and adds up `promoted=` over the young-generation collections between its markers. */
async function promoted(args: string[]): Promise<Promotion> {
  const child = spawn(process.execPath, ['--trace-gc-nvp', '--expose-gc', CHILD, ...args, String(PAGES)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  expect(code, stderr).toBe(0);
  const lines = stdout.split('\n');
  const scavenges = lines.slice(lines.indexOf('measure start'), lines.indexOf('measure end')).filter((line) => / gc=s /.test(line));
  const bytes = scavenges.reduce((sum, line) => sum + Number(/ promoted=(\d+)/.exec(line)?.[1] ?? 0), 0);
  return { scavenges: scavenges.length, bytesPerPage: bytes / PAGES };
}

describe('what a commit allocates is gone by the next young-generation collection', () => {
  let server: PostgresServer;
  let dir: string;
  let baseline: Promotion;
  beforeAll(async () => {
    server = await startPostgres();
    dir = await mkdtemp(join(tmpdir(), 'eventsync-survivors-'));
    baseline = await promoted(['pages', '-']);
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('into Postgres', async () => {
    const { scavenges, bytesPerPage } = await promoted(['postgres', server.url]);
    expect(scavenges).toBeGreaterThanOrEqual(5);
    expect(bytesPerPage - baseline.bytesPerPage).toBeLessThan(LIMIT);
  });

  it('into a file', async () => {
    const { scavenges, bytesPerPage } = await promoted(['file', dir]);
    expect(scavenges).toBeGreaterThanOrEqual(5);
    expect(bytesPerPage - baseline.bytesPerPage).toBeLessThan(LIMIT);
  });
});
