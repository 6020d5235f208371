/**
 * `eventsync replay --sink sqlite:... | postgres://...`: 10,000 events committed through the
 * storages themselves (several per millisecond, ids out of time order, committed shuffled, so
 * neither insertion order nor created_at alone gives the order), replayed to a handler that
 * verifies every delivery; the sync's checkpoint rows compared before and after.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredEvent } from '@eventsync/core';
import { PostgresStorage, SqliteStorage } from '@eventsync/core/node';
import { runCli, tempDir } from './support/cli.js';
import { freePort } from './support/ports.js';
import { startPostgres, type PostgresServer } from './support/postgres.js';
import { verifyingHandler } from './support/verifying-handler.js';

const SECRET = 'whsec_' + Buffer.from('replay-databases-secret').toString('base64');
const EVENTS = 10_000;
const TYPES = ['customer.created', 'invoice.paid', 'note.created', 'lead.created'] as const;
const START = Date.now() - 2 * 86_400_000;

/** Three events per millisecond; ids are a permutation of the numbers, so within a millisecond they are not in index order. */
function acmeEvents(): StoredEvent[] {
  return Array.from({ length: EVENTS }, (_, index) => ({
    channel: index % 2 === 0 ? 'poll' : 'webhook',
    event: {
      id: `evt_${((index * 7_919) % 10_007).toString(36)}`,
      type: TYPES[index % TYPES.length]!,
      created_at: new Date(START + Math.floor(index / 3)).toISOString(),
      data: { n: index, customer: { id: `cus_${index % 97}`, tags: ['a', 'b'] } },
    },
  }));
}

const betaEvents = (): StoredEvent[] =>
  Array.from({ length: 50 }, (_, index) => ({ channel: 'poll', event: { id: `evt_beta_${index}`, type: 'note.created', created_at: new Date(START + index).toISOString(), data: { n: index } } }));

/** A fixed shuffle, so the rows go in in neither time nor id order. */
function shuffled<T>(items: readonly T[]): T[] {
  const copy = [...items];
  let seed = 17;
  for (let index = copy.length - 1; index > 0; index--) {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    const other = seed % (index + 1);
    [copy[index], copy[other]] = [copy[other]!, copy[index]!];
  }
  return copy;
}

interface Committing {
  commit(events: readonly StoredEvent[], watermark: string | null): Promise<void>;
  close(): Promise<void>;
}

async function commitInBatches(storage: Committing, events: readonly StoredEvent[]): Promise<void> {
  const rows = shuffled(events);
  for (let start = 0; start < rows.length; start += 500) await storage.commit(rows.slice(start, start + 500), new Date(START + start).toISOString());
  await storage.close();
}

/** The order replay promises for a database sink: created_at, then id (byte order). */
const inTableOrder = (events: readonly StoredEvent[]) =>
  events.map(({ event }) => event).sort((a, b) => (a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

interface SinkUnderTest {
  readonly name: string;
  /** --sink and the table flags. */
  readonly args: string[];
  /** The checkpoints table (and the file, for SQLite) as they are now. */
  snapshot(): Promise<unknown>;
  /** What the summary names as the place read. */
  readonly described: RegExp;
}

let dir: string;
let server: PostgresServer;
const sinks: SinkUnderTest[] = [];

beforeAll(async () => {
  dir = await tempDir('replay-databases');
  const file = join(dir, 'events.sqlite');
  await commitInBatches(await opened(new SqliteStorage({ path: file, source: 'acme' })), acmeEvents());
  await commitInBatches(await opened(new SqliteStorage({ path: file, source: 'beta' })), betaEvents());
  sinks.push({
    name: 'sqlite',
    args: ['--sink', `sqlite:${file}`],
    described: /from .*events\.sqlite \(table eventsync_events\), source "acme"/,
    async snapshot() {
      const db = new Database(file, { readonly: true });
      try {
        return { rows: db.prepare('SELECT * FROM eventsync_checkpoints ORDER BY source').all(), file: createHash('sha256').update(await readFile(file)).digest('hex') };
      } finally {
        db.close();
      }
    },
  });

  server = await startPostgres();
  const tables = { schema: 'Replay_S', tablePrefix: 'ev_' };
  sinks.push({
    name: 'postgres',
    args: ['--sink', server.url, '--schema', tables.schema, '--table-prefix', tables.tablePrefix],
    described: /from postgres:\/\/eventsync:\*\*\*@127\.0\.0\.1:\d+\/eventsync, table replay_s\.ev_events, source "acme"/,
    async snapshot() {
      const client = new pg.Client({ connectionString: server.url });
      await client.connect();
      try {
        return (await client.query('SELECT source, checkpoint, updated_at FROM replay_s.ev_checkpoints ORDER BY source')).rows;
      } finally {
        await client.end();
      }
    },
  });
  await commitInBatches(await opened(new PostgresStorage({ url: server.url, source: 'acme', ...tables })), acmeEvents());
  await commitInBatches(await opened(new PostgresStorage({ url: server.url, source: 'beta', ...tables })), betaEvents());
}, 120_000);

async function opened<S extends { open(): Promise<unknown> }>(storage: S): Promise<S> {
  await storage.open();
  return storage;
}

afterAll(async () => {
  await server?.stop();
});

async function replay(sink: SinkUnderTest, handlerUrl: string, ...args: string[]) {
  return runCli(['replay', '--forward', handlerUrl, '--data-dir', dir, ...sink.args, ...args], { EVENTSYNC_FORWARD_SECRET: SECRET });
}

describe.each(['sqlite', 'postgres'])('eventsync replay --sink %s', (name) => {
  const sink = () => sinks.find((candidate) => candidate.name === name)!;

  it("re-sends a source's 10,000 events: every event once, in (created_at, id) order, signed; the checkpoint rows unchanged", async () => {
    const before = await sink().snapshot();
    const expected = inTableOrder(acmeEvents());
    const handler = await verifyingHandler(SECRET);
    try {
      const result = await replay(sink(), handler.url, '--source', 'acme', '--since', '7d');
      expect(result.code, result.stderr).toBe(0);
      expect(handler.rejected).toBe(0);
      expect(handler.received.map((event) => event.id)).toEqual(expected.map((event) => event.id));
      expect(handler.received).toEqual(expected);
      expect(handler.deliveryIds).toEqual(expected.map((event) => `rpl_${event.id}`));
      expect(result.stderr).toMatch(/replayed 10,000 events \(created .* to now, all types\) /);
      expect(result.stderr).toMatch(sink().described);
    } finally {
      await handler.close();
    }
    expect(await sink().snapshot()).toEqual(before);
  }, 120_000);

  it('sends only what --since, --until and --types select', async () => {
    const ordered = inTableOrder(acmeEvents());
    // Both bounds fall on a millisecond that holds three events: --since takes them all, --until none.
    const since = ordered[2_001]!.created_at;
    const until = ordered[6_001]!.created_at;
    const expected = ordered.filter((event) => event.created_at >= since && event.created_at < until && event.type !== 'note.created');
    expect(expected.length).toBeGreaterThan(0);
    const handler = await verifyingHandler(SECRET);
    try {
      const result = await replay(sink(), handler.url, '--source', 'acme', '--since', since, '--until', until, '--types', 'invoice.paid,customer.created,lead.created', '--no-progress');
      expect(result.code, result.stderr).toBe(0);
      expect(handler.received.map((event) => event.id)).toEqual(expected.map((event) => event.id));
    } finally {
      await handler.close();
    }
  }, 60_000);

  it('names the sources there when --source is missing (exit 2) or unknown (exit 8), in one line', async () => {
    const ambiguous = await replay(sink(), 'http://127.0.0.1:9/hook', '--since', '7d');
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.stderr).toMatch(/holds the events of several sources \("acme", "beta"\); choose one with --source/);
    const unknown = await replay(sink(), 'http://127.0.0.1:9/hook', '--since', '7d', '--source', 'gamma');
    expect(unknown.code).toBe(8);
    expect(unknown.stderr).toMatch(/holds no events of source "gamma"; the sources there: "acme", "beta"\. Pass one of them with --source/);
    expect(unknown.stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('eventsync replay from a database it cannot read', () => {
  it('a SQLite file or table that is not there: one line, exit 8', async () => {
    const missing = await runCli(['replay', '--since', '1h', '--forward', 'http://127.0.0.1:9/hook', '--sink', `sqlite:${join(dir, 'nope.sqlite')}`], { EVENTSYNC_FORWARD_SECRET: SECRET });
    expect(missing.code).toBe(8);
    expect(missing.stderr.trim()).toMatch(/^eventsync: there is no SQLite database at .*nope\.sqlite: name the sync's database with --sink sqlite:<path>$/);
    const table = await replay(sinks[0]!, 'http://127.0.0.1:9/hook', '--since', '1h', '--table-prefix', 'other_');
    expect(table.code).toBe(8);
    expect(table.stderr.trim()).toMatch(/^eventsync: .*has no table other_events: pass the --table-prefix the sync wrote with/);
  });

  it('a Postgres table that is not there, or a server that does not answer: one line, exit 8, no password', async () => {
    const table = await runCli(['replay', '--since', '1h', '--forward', 'http://127.0.0.1:9/hook', '--sink', server.url], { EVENTSYNC_FORWARD_SECRET: SECRET });
    expect(table.code).toBe(8);
    expect(table.stderr.trim()).toMatch(/^eventsync: there is no table public\.eventsync_events at postgres:\/\/eventsync:\*\*\*@.*: pass the --schema and --table-prefix the sync wrote with/);
    const password = new URL(server.url).password;
    const closed = `postgres://eventsync:${password}@127.0.0.1:${await freePort()}/eventsync`;
    const unreachable = await runCli(['replay', '--since', '1h', '--forward', 'http://127.0.0.1:9/hook', '--sink', closed], { EVENTSYNC_FORWARD_SECRET: SECRET });
    expect(unreachable.code).toBe(8);
    expect(unreachable.stderr.trim()).toMatch(/^eventsync: could not reach the database at postgres:\/\/eventsync:\*\*\*@127\.0\.0\.1:\d+\/eventsync: connection refused/);
    expect(unreachable.stderr.trim().split('\n')).toHaveLength(1);
    expect(table.stderr + unreachable.stderr).not.toContain(password);
  });

  it('a table holding one source needs no --source', async () => {
    const file = join(dir, 'solo.sqlite');
    await commitInBatches(await opened(new SqliteStorage({ path: file, source: 'solo' })), betaEvents());
    const handler = await verifyingHandler(SECRET);
    try {
      const result = await runCli(['replay', '--since', '7d', '--forward', handler.url, '--sink', `sqlite:${file}`, '--no-progress'], { EVENTSYNC_FORWARD_SECRET: SECRET });
      expect(result.code, result.stderr).toBe(0);
      expect(handler.received.map((event) => event.id)).toEqual(inTableOrder(betaEvents()).map((event) => event.id));
      expect(result.stderr).toMatch(/replayed 50 events .* source "solo"/);
    } finally {
      await handler.close();
    }
  });
});
