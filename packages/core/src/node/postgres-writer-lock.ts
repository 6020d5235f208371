/**
 * One writer per source: a session-level advisory lock, held on a connection of its own for
 * the storage's life. Postgres releases it when that session ends, however it ends, so a sync
 * killed with -9 leaves nothing to expire or clean up (a lease row would).
 *
 * Should that connection drop (the server restarted, someone ended it), the lock is gone and
 * another sync may take it; `lost` says so, the storage refuses to commit, and its recover()
 * takes the lock again or reports the new holder. A commit already in flight when that
 * happens cannot duplicate anything: the events' primary key turns a second copy away.
 */
import type { Client, ClientConfig } from 'pg';

export type LockAttempt = { readonly lock: WriterLock } | { readonly holder: string | undefined };

export class WriterLock {
  private lostWith: Error | undefined;
  private releasing = false;

  private constructor(
    private readonly client: Client,
    private readonly key: string,
  ) {
    client.on('error', (error) => (this.lostWith ??= error));
    client.on('end', () => {
      if (!this.releasing) this.lostWith ??= new Error('the connection holding the writer lock ended');
    });
  }

  /**
   * Connects and tries the lock once (never waits: a second sync should hear at once that
   * it is second). When it is taken, says who holds it, as far as Postgres lets us see.
   */
  static async acquire(ClientClass: typeof Client, config: ClientConfig, key: string): Promise<LockAttempt> {
    const client = new ClientClass(config);
    // Until the lock is ours, a socket error surfaces through the failing connect or query.
    const early = (): void => undefined;
    client.on('error', early);
    try {
      await client.connect();
      const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS locked', [key]);
      if (rows[0]!.locked) {
        client.off('error', early);
        return { lock: new WriterLock(client, key) };
      }
      const holder = await describeHolder(client, key).catch(() => undefined);
      await client.end();
      return { holder };
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
  }

  /** Why the lock can no longer be trusted, once its connection has failed. */
  get lost(): Error | undefined {
    return this.lostWith;
  }

  async release(): Promise<void> {
    if (this.releasing) return;
    this.releasing = true;
    // Ending the session releases the lock; the explicit unlock only makes it prompt.
    if (!this.lostWith) await this.client.query('SELECT pg_advisory_unlock($1::bigint)', [this.key]).catch(() => undefined);
    await this.client.end().catch(() => undefined);
  }
}

/** The holder's application name (a sync names itself by host and pid) and where it connects from. */
async function describeHolder(client: Client, key: string): Promise<string | undefined> {
  const value = BigInt.asUintN(64, BigInt(key));
  const { rows } = await client.query<{ application_name: string | null; client_addr: string | null; backend_start: Date | null; pid: number }>(
    `SELECT a.application_name, host(a.client_addr) AS client_addr, a.backend_start, a.pid
       FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
        AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
        AND l.classid = $1::oid AND l.objid = $2::oid`,
    [(value >> 32n).toString(), (value & 0xffffffffn).toString()],
  );
  const row = rows[0];
  if (!row) return undefined;
  const parts = [row.application_name || `server process ${row.pid}`];
  if (row.client_addr) parts.push(`from ${row.client_addr}`);
  if (row.backend_start) parts.push(`connected since ${row.backend_start.toISOString()}`);
  return parts.join(', ');
}
