/**
 * The fence a worker's commits pass through: inside the commit's own transaction, before its
 * writes, one statement updates the connection's lease row only if this worker still holds it
 * at this epoch and Postgres's clock says it has not expired. When no row matches, the lease
 * has gone to another worker (or lapsed) and the storage rolls the commit back.
 *
 * The row lock that UPDATE takes lasts until the commit ends, and a claim skips locked rows
 * (postgres-leases.ts), so a lease cannot change hands while a commit under it is running: every
 * commit of epoch k ends before epoch k+1 is acquired. The same statement counts the commit in
 * `<prefix>lease_history` (first and last commit time, number of commits), which is how that
 * order can be checked afterwards.
 *
 * The fence runs on the storage's connection, so the lease tables and the sink must be in the
 * same database: one transaction cannot span two. A fence (CommitFence, postgres-leases.ts)
 * carries the lease tables' qualified names; they may sit under another schema or prefix than
 * the events. These functions are internal: the public types must not need pg's.
 */
import type { ClientBase } from 'pg';
import { runStatement } from './postgres-connection.js';
import type { CommitFence } from './postgres-leases.js';

/**
 * Inside the commit's transaction, before any write: true when the lease is still held, the
 * row is then locked until the transaction ends, and the commit is counted in the history.
 */
export async function holdFence(client: ClientBase, fence: CommitFence): Promise<boolean> {
  const { connection, epoch } = fence.lease;
  // Once per commit: through runStatement, for the reason given there.
  const { rows } = await runStatement<{ held: number }>(
    client,
    `WITH held AS (
       UPDATE ${fence.leasesTable} SET updated_at = clock_timestamp()
        WHERE connection = $1 AND owner = $2 AND epoch = $3 AND expires_at > clock_timestamp()
       RETURNING epoch
     ), counted AS (
       UPDATE ${fence.historyTable}
          SET first_commit_at = coalesce(first_commit_at, clock_timestamp()), last_commit_at = clock_timestamp(), commits = commits + 1
        WHERE connection = $1 AND epoch = $3 AND EXISTS (SELECT 1 FROM held)
     )
     SELECT count(*)::int AS held FROM held`,
    [connection, fence.owner, epoch],
  );
  return rows[0]!.held === 1;
}

/** Whether the lease is still held, without locking anything (a storage's open). */
export async function fenceHeld(client: ClientBase, fence: CommitFence): Promise<boolean> {
  const { rows } = await client.query(`SELECT 1 FROM ${fence.leasesTable} WHERE connection = $1 AND owner = $2 AND epoch = $3 AND expires_at > clock_timestamp()`, [
    fence.lease.connection,
    fence.owner,
    fence.lease.epoch,
  ]);
  return rows.length === 1;
}

/** After holdFence or fenceHeld said no: what became of the lease, in words, for the refusal. */
export async function whatBecameOfLease(client: ClientBase, fence: CommitFence): Promise<string> {
  const { connection, epoch } = fence.lease;
  const lease = `the lease on connection "${connection}" (epoch ${epoch})`;
  const { rows } = await client.query<{ owner: string | null; epoch: string; expired: boolean | null }>(
    `SELECT owner, epoch, expires_at <= clock_timestamp() AS expired FROM ${fence.leasesTable} WHERE connection = $1`,
    [connection],
  );
  const now = rows[0];
  if (!now) return `${lease} no longer exists (its row was deleted)`;
  if (Number(now.epoch) !== epoch) {
    return now.owner === null ? `${lease} was taken by another worker since (now free at epoch ${now.epoch})` : `${lease} was taken by worker "${now.owner}" (epoch ${now.epoch})`;
  }
  if (now.owner === null) return `${lease} was released`;
  return `${lease} expired (no heartbeat renewed it in time; another worker may take it at any moment)`;
}
