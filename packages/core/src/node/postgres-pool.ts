/**
 * A pg Pool that several users share (the workers' leases and every connection's storage, in
 * `eventsync run`), as our public options name it: only what we call, structurally, so that a
 * `pg.Pool` fits and our published declarations do not need @types/pg (a consumer without it
 * compiles them; scripts/release-check/types.mjs checks that); this file must not import pg.
 * Inside, it is used as pg's Pool (postgres-connection.ts).
 *
 * The pool belongs to whoever made it: we never end it, and its creator must listen for its
 * 'error' event (pg emits an idle connection's socket failure there; unheard, it ends the process).
 */
export interface PostgresPoolClient {
  query(text: string, values?: unknown[]): Promise<unknown>;
  release(error?: Error | boolean): void;
}

export interface PostgresPool {
  connect(): Promise<PostgresPoolClient>;
  end(): Promise<void>;
}
