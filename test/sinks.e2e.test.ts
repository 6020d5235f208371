/**
 * `eventsync sync --sink ...` as a user runs it: one writer per output, and sink URLs that
 * are wrong get a message saying what is expected.
 */
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '@eventsync/sandbox';
import Database from 'better-sqlite3';
import pg from 'pg';
import { duplicates, idsInFile, runCli, startSyncing, tempDir } from './support/cli.js';
import { startPostgres, type PostgresServer } from './support/postgres.js';

let sandbox: Sandbox | undefined;
afterEach(async () => {
  await sandbox?.stop();
  sandbox = undefined;
});

describe('eventsync sync --sink file:', () => {
  it('refuses a second sync on the same output while the first runs, and the output ends exact', async () => {
    sandbox = await startSandbox({ seed: 8, visibilityLagMs: 0, policies: false, backlog: { count: 3_000, spanMs: 3_600_000 } });
    const box = sandbox;
    const dir = await tempDir('two-writers');
    const out = join(dir, 'events.ndjson');
    const args = ['sync', '--sink', `file:${out}`, '--state-dir', join(dir, 'state'), '--no-status', '--lookback', '1s', '--rate-limit', 'read:600/1m'];
    const env = { EVENTSYNC_BASE_URL: box.url, EVENTSYNC_API_KEY: box.apiKey };

    const first = await startSyncing(args, env);
    const second = await runCli([...args, '--once'], env);
    expect(second.code).toBe(8);
    expect(second.stderr).toMatch(new RegExp(`another sync \\(pid ${first.pid} on \\S+\\) is writing ${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));

    first.kill('SIGTERM');
    expect((await first.result).code).toBe(0);
    const last = await runCli([...args, '--once', '--rate-limit', 'read:100000/1m'], env);
    expect(last.code).toBe(0);
    const ids = await idsInFile(out);
    expect(duplicates(ids)).toEqual([]);
    expect(new Set(ids)).toEqual(new Set(box.eventIds()));
  }, 60_000);

  it('refuses an output whose state directory holds another output\'s checkpoint (exit 2), which would skip its history', async () => {
    sandbox = await startSandbox({ seed: 8, visibilityLagMs: 0, policies: false, backlog: { count: 50, spanMs: 60_000 } });
    const dir = await tempDir('shared-state');
    const env = { EVENTSYNC_BASE_URL: sandbox.url, EVENTSYNC_API_KEY: sandbox.apiKey };
    const sync = (sink: string) => runCli(['sync', '--once', '--sink', sink, '--data-dir', dir, '--no-status', '--lookback', '1s'], env);
    expect((await sync(`file:${join(dir, 'a.ndjson')}`)).code).toBe(0);
    for (const [sink, output] of [[`file:${join(dir, 'b.ndjson')}`, join(dir, 'b.ndjson')], ['-', 'stdout']]) {
      const refused = await sync(sink!);
      expect(refused.code, refused.stderr).toBe(2);
      expect(refused.stderr.trim().split('\n').at(-1)).toBe(
        `eventsync: the checkpoint in ${join(dir, 'state')} is that of ${join(dir, 'a.ndjson')}, not of ${output}: each output needs a state directory of its own; give this one another, or write to ${join(dir, 'a.ndjson')} again`,
      );
      expect(refused.stdout).toBe('');
    }
    expect(await idsInFile(join(dir, 'b.ndjson'))).toEqual([]);
  });

  it('stops with the file and the cause when it may not write there (exit 8)', async () => {
    sandbox = await startSandbox({ seed: 8, visibilityLagMs: 0, policies: false, backlog: { count: 10, spanMs: 60_000 } });
    const dir = await tempDir('unwritable');
    // sysfs refuses new files even to root.
    const result = await runCli(['sync', '--once', '--sink', 'file:/sys/kernel/events.ndjson', '--state-dir', join(dir, 'state'), '--no-status'], {
      EVENTSYNC_BASE_URL: sandbox.url,
      EVENTSYNC_API_KEY: sandbox.apiKey,
    });
    expect(result.code).toBe(8);
    expect(result.stderr.trim().split('\n').at(-1)).toMatch(/^eventsync: could not create the lock file \/sys\/kernel\/events\.ndjson\.lock: (permission denied|the file system is read-only)/);
    expect(result.stderr).not.toMatch(/unexpected error/);
  });

  it.each([
    ['ftp://example.com/events', /--sink takes file:<path>, sqlite:<path>, postgres:\/\/user:password@host\/database or - for stdout/],
    ['file:', /--sink takes/],
    ['postgres://user:hunter2@', /--sink takes .*got "postgres:…"/],
  ])('refuses --sink %s with what it takes (exit 2), never echoing a password', async (url, message) => {
    const result = await runCli(['sync', '--sink', url, '--no-status'], { EVENTSYNC_BASE_URL: 'http://127.0.0.1:9', EVENTSYNC_API_KEY: 'wlcro_test_x' });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toContain('hunter2');
  });
});

describe('eventsync sync --sink postgres://', () => {
  let server: PostgresServer | undefined;
  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });

  it('refuses a second sync on the same source while the first runs; the table ends exact', async () => {
    server = await startPostgres();
    sandbox = await startSandbox({ seed: 12, visibilityLagMs: 0, policies: false, backlog: { count: 3_000, spanMs: 3_600_000 } });
    const box = sandbox;
    const dir = await tempDir('pg-two-writers');
    const args = ['sync', '--sink', server.url, '--source', 'acme', '--state-dir', join(dir, 'state'), '--no-status', '--lookback', '1s', '--rate-limit', 'read:600/1m'];
    const env = { EVENTSYNC_BASE_URL: box.url, EVENTSYNC_API_KEY: box.apiKey };
    const first = await startSyncing(args, env);
    await sleep(500);
    const second = await runCli([...args, '--once', '--state-dir', join(dir, 'other-state')], env);
    expect(second.code).toBe(8);
    expect(second.stderr).toMatch(/another sync .* is writing source "acme"/);
    expect(second.stderr).not.toContain(new URL(server.url).password);

    first.kill('SIGTERM');
    expect((await first.result).code).toBe(0);
    expect((await runCli([...args, '--once', '--rate-limit', 'read:100000/1m'], env)).code).toBe(0);
    const client = new pg.Client({ connectionString: server.url });
    await client.connect();
    const { rows } = await client.query<{ id: string; channel: string }>("SELECT id, channel FROM eventsync_events WHERE source = 'acme'");
    await client.end();
    expect(rows.map((row) => row.id).sort()).toEqual(box.eventIds().sort());
    expect(new Set(rows.map((row) => row.channel))).toEqual(new Set(['poll']));
  }, 60_000);

  it.each([
    ['an unreachable database', async (s: PostgresServer) => s.url.replace(`:${s.port}/`, ':9/'), /could not reach|refused/i],
    ['a wrong password', async (s: PostgresServer) => s.url.replace(/:[^:@/]+@/, ':wrong-secret@'), /password/i],
    ['a database that does not exist', async (s: PostgresServer) => s.url.replace(/\/[^/]+$/, '/nosuchdb'), /does not exist/i],
  ])('stops on %s with one line saying what to do (exit 8), never showing the password', async (_label, urlFor, message) => {
    server = await startPostgres();
    sandbox = await startSandbox({ seed: 12, visibilityLagMs: 0, policies: false, backlog: { count: 10, spanMs: 60_000 } });
    const url = await urlFor(server);
    const dir = await tempDir('pg-bad');
    const result = await runCli(['sync', '--once', '--sink', url, '--state-dir', join(dir, 'state'), '--no-status'], {
      EVENTSYNC_BASE_URL: sandbox.url,
      EVENTSYNC_API_KEY: sandbox.apiKey,
    });
    expect(result.code).toBe(8);
    const last = result.stderr.trim().split('\n').at(-1)!;
    expect(last).toMatch(message);
    expect(result.stderr).not.toMatch(/unexpected error|\n\s+at /);
    expect(result.stderr).not.toContain(new URL(url).password);
  }, 60_000);
});

describe('eventsync sync --sink sqlite:', () => {
  it('refuses a second sync on the same source while the first runs; the table ends exact', async () => {
    sandbox = await startSandbox({ seed: 13, visibilityLagMs: 0, policies: false, backlog: { count: 3_000, spanMs: 3_600_000 } });
    const box = sandbox;
    const dir = await tempDir('sqlite-two-writers');
    const db = join(dir, 'events.db');
    const args = ['sync', '--sink', `sqlite:${db}`, '--source', 'acme', '--state-dir', join(dir, 'state'), '--no-status', '--lookback', '1s', '--rate-limit', 'read:600/1m'];
    const env = { EVENTSYNC_BASE_URL: box.url, EVENTSYNC_API_KEY: box.apiKey };
    const first = await startSyncing(args, env);
    await sleep(500);
    const second = await runCli([...args, '--once', '--state-dir', join(dir, 'other-state')], env);
    expect(second.code).toBe(8);
    expect(second.stderr).toMatch(new RegExp(`pid ${first.pid}`));

    first.kill('SIGTERM');
    expect((await first.result).code).toBe(0);
    expect((await runCli([...args, '--once', '--rate-limit', 'read:100000/1m'], env)).code).toBe(0);
    const reader = new Database(db, { readonly: true });
    const ids = (reader.prepare("SELECT id FROM eventsync_events WHERE source = 'acme'").all() as Array<{ id: string }>).map((row) => row.id);
    reader.close();
    expect(ids.sort()).toEqual(box.eventIds().sort());
  }, 60_000);
});
