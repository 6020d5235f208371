/**
 * The SQLite sink's table names under one prefix: used by the storage and by readers of what
 * it wrote (replay, status), so it imports no driver and its declarations need none.
 */
/** The table names under one prefix. */
export interface Tables {
  readonly prefix: string;
  readonly events: string;
  readonly checkpoints: string;
  /** One row per source: who may write it (sqlite-lease.ts). */
  readonly writers: string;
  readonly migrations: string;
}

export function tableNames(prefix: string): Tables {
  return { prefix, events: `${prefix}events`, checkpoints: `${prefix}checkpoints`, writers: `${prefix}writers`, migrations: `${prefix}migrations` };
}
