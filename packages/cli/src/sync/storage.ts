/** The storage a sink choice names: where events and their checkpoint are committed together. */
import { join, resolve } from 'node:path';
import type { EventStorage } from '@eventsync/core';
import { ForwardOutput, NdjsonFileStorage, OutputStorage, StreamOutput, type NodeClient } from '@eventsync/core/node';
import { UsageError } from '../usage-error.js';
import type { SinkChoice, TableOptions } from './settings.js';

export interface StoragePlace {
  readonly dataDir: string;
  readonly stateDir: string;
  readonly client: NodeClient;
  readonly stdout: NodeJS.WritableStream;
  readonly tables: TableOptions;
  /** The rows' `source` when the user named none. */
  readonly defaultSource: string;
}

export function createStorage(choice: SinkChoice, place: StoragePlace): EventStorage {
  switch (choice.kind) {
    case 'file':
      return new NdjsonFileStorage({ path: filePath(choice, place.dataDir), stateDir: place.stateDir });
    case 'stdout':
      return new OutputStorage(new StreamOutput(place.stdout), place.stateDir);
    case 'forward':
      return new OutputStorage(new ForwardOutput({ url: choice.url, secret: choice.secret, signature: place.client.config.signature }), place.stateDir);
    case 'sqlite':
    case 'postgres':
      throw new UsageError(`--sink ${choice.kind}: is not available in this build`);
  }
}

export function filePath(choice: Extract<SinkChoice, { kind: 'file' }>, dataDir: string): string {
  return resolve(choice.path ?? join(dataDir, 'events.ndjson'));
}
