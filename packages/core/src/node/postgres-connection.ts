/**
 * A pooled connection as the Postgres storage and the leases use it: taken for one piece of
 * work, closed rather than returned when the work fails. Also the shared pool (postgres-pool.ts)
 * as the pg Pool it is.
 */
import type { Pool, PoolClient } from 'pg';
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
