/** The storage a sink choice names: where events and their checkpoint are committed together. */
import { join, resolve } from 'node:path';
import type { EventStorage } from '@eventsync/core';
import {
  ForwardOutput,
  NdjsonFileStorage,
  OutputStorage,
  PostgresStorage,
  SqliteStorage,
  StreamOutput,
  type CommitFence,
  type NodeClient,
  type PostgresPool,
} from '@eventsync/core/node';
import type { SinkChoice, TableOptions } from './settings.js';

export interface StoragePlace {
  readonly dataDir: string;
  readonly stateDir: string;
  readonly client: NodeClient;
  readonly stdout: NodeJS.WritableStream;
  readonly tables: TableOptions;
  /** The rows' `source` when the user named none. */
  readonly defaultSource: string;
  /**
   * `eventsync run`: a pool its connections share, and with a coordinator the lease each
   * commit must still hold (postgres-leases.ts).
   */
  readonly postgres?: { readonly pool?: PostgresPool; readonly fence?: CommitFence };
}

export function createStorage(choice: SinkChoice, place: StoragePlace): EventStorage {
  switch (choice.kind) {
    case 'file':
      return new NdjsonFileStorage({ path: filePath(choice, place.dataDir), stateDir: place.stateDir });
    case 'stdout':
      return new OutputStorage(new StreamOutput(place.stdout), place.stateDir);
    case 'forward':
      return new OutputStorage(new ForwardOutput({ url: choice.url, secret: choice.secret, signature: place.client.config.signature }), place.stateDir);
    case 'postgres':
      return new PostgresStorage({
        url: choice.url,
        source: place.tables.source ?? place.defaultSource,
        ...(place.tables.schema ? { schema: place.tables.schema } : {}),
        ...(place.tables.tablePrefix ? { tablePrefix: place.tables.tablePrefix } : {}),
        ...place.postgres,
      });
    case 'sqlite':
      return new SqliteStorage({
        path: resolve(choice.path),
        source: place.tables.source ?? place.defaultSource,
        ...(place.tables.tablePrefix ? { tablePrefix: place.tables.tablePrefix } : {}),
      });
  }
}

export function filePath(choice: Extract<SinkChoice, { kind: 'file' }>, dataDir: string): string {
  return resolve(choice.path ?? join(dataDir, 'events.ndjson'));
}
