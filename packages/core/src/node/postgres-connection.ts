/**
 * A pooled connection as the Postgres storage and the leases use it: taken for one piece of
 * work, closed rather than returned when the work fails. Also the shared pool (postgres-pool.ts)
 * as the pg Pool it is, and the statement runner every commit goes through (runStatement).
 */
import type { ClientBase, Pool, PoolClient, QueryResult, QueryResultRow } from 'pg';
import type { PostgresPool } from './postgres-pool.js';

/** The shared pool as the pg Pool it is. */
export function asPgPool(pool: PostgresPool): Pool {
  return pool as unknown as Pool;
}

/**
 * Runs `work` on a connection of `pool`. When it throws, the connection is closed rather than
 * returned: Postgres then rolls back whatever transaction it had open, and no later user of
 * the pool can inherit a half-done one.
 */
export async function withPooledClient<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  // While a connection is checked out the pool does not listen to it, and a socket that drops
  // would emit an 'error' nobody handles (a crash); the failing query reports it instead.
  const ignore = (): void => undefined;
  client.on('error', ignore);
  let failed: Error | undefined;
  try {
    return await work(client);
  } catch (error) {
    failed = error instanceof Error ? error : new Error(String(error));
    throw error;
  } finally {
    client.off('error', ignore);
    client.release(failed);
  }
}

/**
 * `client.query(text, values)` as a promise, through pg's callback form. Statements that run
 * once per commit must come through here, not through pg's own promise form, for memory's sake:
 * that form hands its resolver to the query as `query.callback = (err, res) => ...`
 * (pg/lib/client.js), and V8's parser pretenures a function literal assigned to a property (it
 * expects a method): the closure is allocated straight into the old generation. Once the query
 * is answered it is garbage there until the next full GC, and meanwhile every young-generation
 * collection takes it for live: through its scope the query's text, its parameters (each event's
 * JSON) and its result survive them all. In a 200k-event drain into Postgres that was 14-24% of
 * all it allocated, against under 1% this way, and V8 grows its young generation by what
 * survives: it went from 32 to 128 MiB (README, Benchmarks: "Memory"). Here the
 * callback is an argument, allocated young like the rest, and a commit's objects die with it.
 */
export function runStatement<R extends QueryResultRow = QueryResultRow>(client: ClientBase, text: string, values?: readonly unknown[]): Promise<QueryResult<R>> {
  return new Promise<QueryResult<R>>((resolve, reject) => {
    client.query<R>(text, (values ?? []) as unknown[], (error: Error | undefined, result: QueryResult<R>) => (error ? reject(error) : resolve(result)));
  });
}
