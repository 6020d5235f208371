/**
 * One connection of `eventsync run`, kept syncing until it is stopped: its client, its
 * storage, its engine and (when the process listens) its webhook subscription, opened
 * together and closed together.
 *
 * A failure stays in its connection. What the engine waits out by itself (the network, a
 * 503, a 429) never reaches here; what it gives up on (a revoked key, a missing scope, a
 * sink that refuses) is recorded as the connection's last error, said once, and tried
 * again after a back-off that grows to a few minutes, with the key file read again, while
 * every other connection goes on. A lost lease (another worker took the connection over)
 * ends the runner: the connection is no longer this process's to write.
 */
import { DatabaseStorageError, keyHint, SyncEngine, type ClientConfig, type EventStorage, type SyncEngineOptions } from '@eventsync/core';
import { stoppableSleep, type NodeClient, type NodeClientOptions } from '@eventsync/core/node';
import type { ConnectionConfig } from '../config/run-config.js';
import { readKeyFile } from '../ops/key-file.js';
import { checkSameSource } from '../sync/messages.js';
import { createStorage, type StoragePlace } from '../sync/storage.js';
import { WebhookChannel, type WebhookChannelOptions } from '../webhook-channel.js';
import type { ConnectionClients } from './connection-clients.js';
import type { WebhookRoutes } from './webhook-routes.js';

/** Back-off after a failure the engine gave up on: from 5 s, doubling, to 3 min. */
const FIRST_RETRY_MS = 5_000;
const LAST_RETRY_MS = 3 * 60_000;

export type RunnerState = 'starting' | 'syncing' | 'failing' | 'stopped';

/** What a runner has open while it syncs, for observers (status, metrics). */
export interface RunningParts {
  readonly client: NodeClient;
  readonly engine: SyncEngine;
  readonly storage: EventStorage;
  readonly webhooks: WebhookChannel | undefined;
}

/** Observers of one connection, from the operations layer; each optional. */
export interface RunnerObservers {
  readonly clientHooks?: Pick<NodeClientOptions, 'onRequest'>;
  readonly engineHooks?: Pick<SyncEngineOptions, 'onCommit' | 'onPass'>;
  readonly onHealth?: WebhookChannelOptions['onHealth'];
  /** Told each time the runner (re)opens its parts. */
  readonly onStarted?: (parts: RunningParts) => void;
}

export interface RunnerShared {
  readonly clients: ConnectionClients;
  /** Present when the process receives webhooks. */
  readonly webhooks: WebhookRoutes | undefined;
  readonly healthIntervalMs: number;
  /** Postgres sinks: the pool the process shares, and this connection's lease fence under a coordinator. */
  readonly postgres?: StoragePlace['postgres'];
  readonly log: (line: string) => void;
}

export class ConnectionRunner {
  private stateNow: RunnerState = 'starting';
  private error: { readonly message: string; readonly at: number } | undefined;
  private parts: RunningParts | undefined;
  private readonly stopping = new AbortController();
  private cleanStop = true;
  private loop: Promise<void> | undefined;
  private writtenTotal = 0;

  constructor(
    readonly connection: ConnectionConfig,
    private readonly shared: RunnerShared,
    private readonly observers: RunnerObservers = {},
  ) {}

  get name(): string {
    return this.connection.name;
  }

  get state(): RunnerState {
    return this.stateNow;
  }

  /** The last failure the engine gave up on, until a pass succeeds again. */
  get lastError(): { readonly message: string; readonly at: number } | undefined {
    return this.error;
  }

  /** Events this runner stored, across restarts. */
  get written(): number {
    return this.writtenTotal;
  }

  get running(): RunningParts | undefined {
    return this.parts;
  }

  /** Starts syncing in the background; `stopped` resolves when it has ended. */
  start(): this {
    this.loop ??= this.keepSyncing();
    return this;
  }

  /**
   * Stops after the page in hand is saved, and deletes the connection's webhook subscription:
   * the process is shutting down cleanly, or hands the connection to another worker, which
   * makes its own.
   */
  async stop(): Promise<void> {
    this.stopping.abort();
    this.parts?.engine.stop();
    await this.loop;
  }

  /** Ends without deleting the subscription: the process is going down hard, or the lease was lost. */
  async abandon(): Promise<void> {
    this.cleanStop = false;
    await this.stop();
  }

  private async keepSyncing(): Promise<void> {
    let retryMs = FIRST_RETRY_MS;
    const log = (line: string): void => this.shared.log(`${this.name}: ${line}`);
    while (!this.stopping.signal.aborted) {
      try {
        await this.syncUntilStopped(log, () => {
          retryMs = FIRST_RETRY_MS;
          if (this.error) log('syncing again');
          this.error = undefined;
          this.stateNow = 'syncing';
        });
      } catch (error) {
        if (this.stopping.signal.aborted) break;
        const message = error instanceof Error ? error.message : String(error);
        const sameAsBefore = this.error?.message === message;
        this.error = { message, at: Date.now() };
        if (isLeaseLost(error)) {
          log(`lost its lease to another worker; stopped syncing it here (${message})`);
          break;
        }
        if (!sameAsBefore) log(`${message}; trying again in ${Math.round(retryMs / 1000)} s while the other connections go on`);
        this.stateNow = 'failing';
        // A stop ends the wait early; the loop then ends.
        await stoppableSleep(retryMs, this.stopping.signal).catch(() => undefined);
        retryMs = Math.min(retryMs * 2, LAST_RETRY_MS);
      }
    }
    this.stateNow = 'stopped';
  }

  /** Opens the connection's parts, syncs until stopped (or a failure), and closes them. */
  private async syncUntilStopped(log: (line: string) => void, onHealthy: () => void): Promise<void> {
    const { connection, shared, observers } = this;
    const config = this.currentConfig();
    const client = shared.clients.create(connection.name, config, connection.budgetShare, {
      ...observers.clientHooks,
      ...(connection.keyFile ? { refreshApiKey: () => readKeyFile(connection.keyFile!) } : {}),
    });
    let storage: EventStorage | undefined;
    let webhooks: WebhookChannel | undefined;
    try {
      storage = createStorage(connection.sink, {
        dataDir: connection.stateDir,
        stateDir: connection.stateDir,
        client,
        stdout: process.stdout,
        tables: connection.tables,
        defaultSource: connection.name,
        ...(shared.postgres ? { postgres: shared.postgres } : {}),
      });
      const engine = await this.openEngine(client, storage, log, onHealthy);
      if (shared.webhooks) webhooks = await this.openWebhooks(shared.webhooks, client, engine, log);
      this.parts = { client, engine, storage, webhooks };
      observers.onStarted?.(this.parts);
      if (this.stopping.signal.aborted) return;
      await engine.run();
    } finally {
      this.parts = undefined;
      const deleteSubscription = this.cleanStop && this.stopping.signal.aborted;
      await webhooks?.close({ deleteSubscription }).catch((error: unknown) => log(`could not delete the webhook subscription: ${String(error)}`));
      await storage?.close().catch(() => undefined);
      client.close();
    }
  }

  private currentConfig(): ClientConfig {
    const { client, keyFile } = this.connection;
    // A key file may have been replaced since the last attempt (a rotated or restored key).
    return keyFile ? { ...client, apiKey: readKeyFile(keyFile) } : client;
  }

  private async openEngine(client: NodeClient, storage: EventStorage, log: (line: string) => void, onHealthy: () => void): Promise<SyncEngine> {
    const { connection, observers } = this;
    const fingerprint = { baseUrl: client.config.baseUrl, basePath: client.config.basePath, types: [...connection.types].sort() };
    const onPass = observers.engineHooks?.onPass;
    const onCommit = observers.engineHooks?.onCommit;
    const engine = await SyncEngine.open({
      feed: client.events,
      storage,
      now: Date.now,
      sleep: stoppableSleep,
      types: connection.types,
      pageSize: connection.pageSize,
      pollIntervalMs: connection.pollIntervalMs,
      checkpoint: connection.lookbackMs === undefined ? {} : { lookbackMs: connection.lookbackMs },
      fingerprint,
      onNotice: log,
      onCommit: (commit) => {
        if (commit.error === undefined) this.writtenTotal += commit.events;
        onCommit?.(commit);
      },
      onPass: (pass) => {
        onHealthy();
        onPass?.(pass);
      },
    });
    checkSameSource(engine.resumedFrom.fingerprint, fingerprint, `${storage.description} (connection ${connection.name})`);
    if (this.stateNow === 'starting') log(`syncing as the key ending ${keyHint(client.config.apiKey)} into ${storage.description}`);
    return engine;
  }

  private openWebhooks(routes: WebhookRoutes, client: NodeClient, engine: SyncEngine, log: (line: string) => void): Promise<WebhookChannel> {
    const { connection, shared, observers } = this;
    const ownUrl = routes.publicUrlOf(connection.name);
    const path = `/webhooks/${connection.name}`;
    return WebhookChannel.start({
      client,
      poller: engine,
      openEndpoint: async (intake) => routes.mount(connection.name, intake),
      description: `eventsync run: connection ${connection.name}`,
      // Another worker's subscription for this connection: it died or handed the connection over.
      isLeftover: (subscription) => subscription.managed_by !== null && subscription.url !== ownUrl && new URL(subscription.url).pathname === path,
      stateDir: connection.stateDir,
      types: connection.types,
      healthIntervalMs: shared.healthIntervalMs,
      log,
      ...(observers.onHealth ? { onHealth: observers.onHealth } : {}),
    });
  }
}

/** Another worker holds the connection now (postgres-leases.ts): trying again would only be refused again. */
function isLeaseLost(error: unknown): boolean {
  return error instanceof DatabaseStorageError && error.problem === 'lease-lost';
}
