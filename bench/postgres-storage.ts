/**
 * PostgresStorage's commit path against a bare pg loop that inserts the same batches, one
 * transaction each, into a table of the same shape, on a throwaway local server
 * (test/support/postgres.ts, fsync on). Two batch sizes: 16 events, what a group commit of 16
 * concurrent webhook deliveries holds, and 100-event poll pages; the median of three rounds
 * counts. Then a 200,000-event backfill in 100-event pages, with the same baseline beside it.
 * The storage does more per commit than the baseline (the checkpoint's upsert); the target
 * is that this costs at most a fifth: ratio >= 0.8.
 */
import pg from 'pg';
import type { StoredEvent } from '@eventsync/core';
import { PostgresStorage } from '@eventsync/core/node';
import { startPostgres } from '../test/support/postgres.ts';
import { madeEvents } from '../test/support/stored-events.ts';
import { median, seconds, verdict } from './support.ts';

const ROUNDS = 3;
const SCENARIOS = [
  { label: 'webhook group commits of 16 deliveries', batch: 16, total: 16_000, channel: 'webhook' as const, unit: 'deliveries/s' },
  { label: '100-event poll pages', batch: 100, total: 20_000, channel: 'poll' as const, unit: 'events/s' },
];
const BACKFILL = 200_000;

/** The baseline: what a user would write by hand to insert a batch in one transaction. */
function bareCommit(client: pg.Client, source: string): (batch: readonly StoredEvent[]) => Promise<void> {
  return async (batch) => {
    const values = batch.map((_, row) => `($1, $${2 + row * 5}, $${3 + row * 5}, $${4 + row * 5}, $${5 + row * 5}, $${6 + row * 5}, now())`);
    const parameters: unknown[] = [source];
    for (const { event, channel } of batch) parameters.push(event.id, event.type, event.created_at, JSON.stringify(event.data), channel);
    await client.query('BEGIN');
    await client.query(`INSERT INTO bare_events (source, id, type, created_at, data, channel, received_at) VALUES ${values.join(', ')} ON CONFLICT (source, id) DO NOTHING`, parameters);
    await client.query('COMMIT');
  };
}

/**
 * Commits every batch both ways, alternating batch by batch, and returns each side's total
 * time: the disk's fsync latency (shared with whatever else runs) drifts, and alternating
 * makes both sides meet the same drift.
 */
async function alternate(batches: readonly StoredEvent[][], sides: ReadonlyArray<(batch: readonly StoredEvent[]) => Promise<void>>): Promise<number[]> {
  const totals = sides.map(() => 0);
  for (const batch of batches) {
    for (const [index, commit] of sides.entries()) {
      const start = performance.now();
      await commit(batch);
      totals[index]! += performance.now() - start;
    }
  }
  return totals;
}

/** Compares PostgresStorage.commit with the bare loop over `batches`; returns [storage ms, bare ms]. */
async function compare(url: string, client: pg.Client, source: string, batches: readonly StoredEvent[][], moveWatermark: boolean): Promise<number[]> {
  const storage = new PostgresStorage({ url, source });
  await storage.open();
  try {
    const viaStorage = (batch: readonly StoredEvent[]) => storage.commit(batch, moveWatermark ? batch.at(-1)!.event.created_at : null);
    return await alternate(batches, [viaStorage, bareCommit(client, source)]);
  } finally {
    await storage.close();
  }
}

function inBatches(events: readonly StoredEvent[], size: number): StoredEvent[][] {
  const batches: StoredEvent[][] = [];
  for (let start = 0; start < events.length; start += size) batches.push(events.slice(start, start + size));
  return batches;
}

const rate = (count: number, ms: number) => Math.round(count / (ms / 1000));
const format = (value: number) => value.toLocaleString('en-US');

export async function run(): Promise<void> {
  const server = await startPostgres();
  const client = new pg.Client({ connectionString: server.url });
  await client.connect();
  try {
    await client.query(`CREATE TABLE bare_events (source text NOT NULL, id text NOT NULL, type text NOT NULL, created_at timestamptz NOT NULL, data jsonb NOT NULL,
      channel text NOT NULL, received_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (source, id))`);
    await client.query('CREATE INDEX ON bare_events (source, created_at)');

    console.log(`\n## Postgres storage: commits through PostgresStorage vs a bare pg loop (BEGIN, INSERT, COMMIT), same batches, local Postgres, fsync on`);
    for (const scenario of SCENARIOS) {
      const batches = inBatches(madeEvents(scenario.total, { channel: scenario.channel, pad: 200 }), scenario.batch);
      const rounds: Array<{ ours: number; bare: number }> = [];
      for (let round = 1; round <= ROUNDS; round++) {
        const [ours, bare] = await compare(server.url, client, `${scenario.batch}-${round}`, batches, scenario.channel === 'poll');
        rounds.push({ ours: rate(scenario.total, ours!), bare: rate(scenario.total, bare!) });
      }
      const ratios = rounds.map(({ ours, bare }) => ours / bare);
      const ratio = median(ratios);
      console.log(
        `${scenario.label}: ${format(median(rounds.map((r) => r.ours)))} vs ${format(median(rounds.map((r) => r.bare)))} ${scenario.unit}, ratio ${ratio.toFixed(2)} ` +
          `(median of ${ROUNDS} rounds: ${ratios.map((r) => r.toFixed(2)).join(', ')}) (target >= 0.8: ${verdict(ratio >= 0.8)})`,
      );
    }

    const pages = inBatches(madeEvents(BACKFILL, { pad: 200 }), 100);
    const [ours, bare] = await compare(server.url, client, 'backfill', pages, true);
    console.log(
      `backfill of ${format(BACKFILL)} events in pages of 100: ${format(rate(BACKFILL, ours!))} events/s (${seconds(ours!)}); bare loop ${format(rate(BACKFILL, bare!))} events/s, ratio ${(bare! / ours!).toFixed(2)}`,
    );
  } finally {
    await client.end();
    await server.stop();
  }
}
