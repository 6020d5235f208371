/**
 * Everything `eventsync sync` does for the people who run it as a service, put together in
 * one place for sync.ts: the ConnectionWatch and its observers, /metrics and the health and
 * status endpoints, alerts, the API key file, and when the signing secret is rotated.
 *
 * The observers are handed to the client (`clientHooks`), the engine (`engineHooks`) and the
 * webhook channel (`onHealth`) as they are built; `start` then begins serving and watching
 * once they exist, and `stop` ends it all. With none of the flags set, it adds nothing: no
 * hooks, no timers, no server.
 */
import { AuthError, keyHint, ScopeError, type HealthOutcome, type SyncEngine, type SyncEngineOptions } from '@eventsync/core';
import type { NodeClient, NodeClientOptions } from '@eventsync/core/node';
import { UsageError } from '../usage-error.js';
import type { WebhookChannel } from '../webhook-channel.js';
import { Alerter } from './alerts.js';
import { ConnectionWatch } from './connection-watch.js';
import { DeliveryFailureAudit } from './delivery-failures.js';
import { startHealthServer, type HealthServer } from './health-server.js';
import { KeyFileWatch } from './key-file.js';
import type { SyncMetrics } from './metrics.js';
import type { OpsSettings } from './ops-settings.js';

export interface OperationsOptions {
  readonly settings: OpsSettings;
  /** The file the API key came from, re-read when it changes. */
  readonly keyFile: string | undefined;
  /** The key the client starts with. */
  readonly apiKey: string;
  /** `--once` gives up on a refused key; the daemon waits for the key file to change. */
  readonly once: boolean;
  readonly listening: boolean;
  readonly healthIntervalMs: number;
  readonly log: (line: string) => void;
  /** Where SIGHUP comes from; the process by default. */
  readonly signals?: Pick<NodeJS.Process, 'on' | 'off'>;
}

/** What exists once the sync is running, for `start`. */
export interface RunningSync {
  /** Names the connection in alerts, /readyz and on the status page, e.g. `acme@api.example.com`. */
  readonly name: string;
  readonly client: NodeClient;
  readonly engine: SyncEngine;
  readonly sinkDescription: string;
  readonly webhooks: WebhookChannel | undefined;
}

export class Operations {
  private running: RunningSync | undefined;
  private readonly watch: ConnectionWatch | undefined;
  private readonly metrics: SyncMetrics | undefined;
  private readonly keyWatch: KeyFileWatch | undefined;
  private server: HealthServer | undefined;
  private alerter: Alerter | undefined;
  private audit: DeliveryFailureAudit | undefined;
  private rotationTimer: ReturnType<typeof setInterval> | undefined;
  /** A SIGHUP came before start(): it is acted on once the sync runs. */
  private hangUpWaiting = false;
  private stopped = false;

  /**
   * Builds the observers the flags ask for. prom-client is loaded only with --metrics-port: a
   * sync without it should not carry its registry (it stays alive, and what survives start-up
   * makes V8 grow its young generation sooner; bench/drain-memory.ts).
   */
  static async create(options: OperationsOptions): Promise<Operations> {
    const metricsModule = options.settings.metrics ? await import('./metrics.js') : undefined;
    return new Operations(options, metricsModule?.SyncMetrics);
  }

  private constructor(
    private readonly options: OperationsOptions,
    Metrics: typeof SyncMetrics | undefined,
  ) {
    const { settings } = options;
    if (settings.metrics || settings.alertUrl) {
      this.watch = new ConnectionWatch({
        sources: {
          progress: () => this.sync().engine.progress,
          apiNow: () => this.sync().client.api.clock.now(),
          buckets: () => this.sync().client.api.buckets,
          readBucket: () => this.sync().client.config.policies.read.bucket,
          sink: () => this.sync().sinkDescription,
          keyHint: () => keyHint(this.sync().client.config.apiKey),
          ...(options.listening
            ? {
                intake: () => this.sync().webhooks?.intake.stats ?? { rejectedSignatures: 0, repeated: 0 },
                subscriptionId: () => this.sync().webhooks?.subscriptionId,
              }
            : {}),
        },
        now: Date.now,
        alertLagMs: settings.alertLagMs,
      });
    }
    if (Metrics && this.watch) {
      const connection = { name: '', watch: this.watch };
      this.metrics = new Metrics({ connections: () => [connection], listening: options.listening });
    }
    if (options.keyFile) {
      const path = options.keyFile;
      this.keyWatch = new KeyFileWatch(path, {
        current: options.apiKey,
        onKey: (key) => {
          this.running?.client.api.replaceApiKey(key);
          options.log(`API key replaced from ${path}: now the key ending ${keyHint(key)}`);
          this.running?.engine.wake();
        },
        onProblem: options.log,
      });
    }
    this.catchHangUps();
  }

  /** For createNodeClient: every attempt observed; after a 401, the key file read once more. */
  clientHooks(): Pick<NodeClientOptions, 'onRequest' | 'refreshApiKey'> {
    const { watch, metrics, keyWatch } = this;
    return {
      ...(watch
        ? {
            onRequest: (observation) => {
              watch.request(observation);
              metrics?.request(observation);
            },
          }
        : {}),
      ...(keyWatch ? { refreshApiKey: () => keyWatch.check() } : {}),
    };
  }

  /** For SyncEngine.open: commits and passes observed; with a key file, a refused key waited out until it changes. */
  engineHooks(): Pick<SyncEngineOptions, 'onCommit' | 'onPass' | 'waitOut'> {
    const { watch, metrics } = this;
    return {
      ...(watch
        ? {
            onCommit: (observation) => {
              watch.commit(observation);
              metrics?.commit(observation);
            },
          }
        : {}),
      ...(metrics ? { onPass: (observation) => metrics.pass(observation) } : {}),
      // Without a key file nothing can change the key, so a 401 ends the sync (exit 3) as before.
      ...(this.keyWatch && !this.options.once ? { waitOut: (error: unknown) => error instanceof AuthError || error instanceof ScopeError } : {}),
    };
  }

  /** For WebhookChannel: what each health check found. */
  readonly onHealth = (outcome: HealthOutcome): void => {
    this.watch?.health(outcome);
    this.metrics?.health(outcome);
    // At once, not at the next tick: a trip and its repair can both fall between two ticks.
    this.alerter?.evaluate();
  };

  async start(running: RunningSync): Promise<void> {
    this.running = running;
    const { settings, log } = this.options;
    const watch = this.watch;
    if (running.webhooks && watch) {
      watch.subscriptionStarted();
      const webhooks = running.webhooks;
      this.audit = new DeliveryFailureAudit({
        subscriptions: running.client.subscriptions,
        subscriptionId: () => webhooks.subscriptionId,
        apiNow: () => running.client.api.clock.now(),
        intervalMs: this.options.healthIntervalMs,
        onCount: (count) => watch.deliveryFailures(count),
      });
      this.audit.start();
    }
    if (settings.metrics && this.metrics && watch) {
      const { host, port } = settings.metrics;
      this.server = await startHealthServer({
        host,
        port,
        alive: () => this.running !== undefined,
        connections: () => [{ name: running.name, watch }],
        metrics: this.metrics,
      }).catch((error: unknown) => {
        throw new UsageError(`could not serve metrics on ${host}:${port} (${(error as NodeJS.ErrnoException).code ?? String(error)}); choose another --metrics-port`);
      });
      log(`health, metrics and status page at ${this.server.url}/ (/healthz, /readyz, /metrics)`);
    }
    if (settings.alertUrl && watch) {
      this.alerter = new Alerter({ url: settings.alertUrl, source: running.name, conditions: () => watch.conditions(), log });
      this.alerter.start();
    }
    this.keyWatch?.start();
    this.startTimedRotations(running.webhooks);
    if (this.hangUpWaiting) this.onHangUp();
  }

  /**
   * Ends what start() began. SIGHUP stays caught until the process exits: `subscriptions
   * rotate` may signal it until its state lock is gone, and a signal listener does not keep
   * the process alive.
   */
  async stop(): Promise<void> {
    this.running = undefined;
    this.stopped = true;
    clearInterval(this.rotationTimer);
    this.keyWatch?.stop();
    this.audit?.stop();
    await this.alerter?.stop();
    await this.server?.close();
  }

  private sync(): RunningSync {
    if (!this.running) throw new Error('Operations read before start()');
    return this.running;
  }

  /**
   * SIGHUP is what a daemon is sent to re-read what it holds: the key file, and (with
   * --listen) a new signing secret. Without either, SIGHUP keeps its default (the process
   * ends). With one, it is caught from here on, start-up and shutdown included: its default
   * would end the sync half-started or half-stopped, leaving its subscription behind.
   */
  private catchHangUps(): void {
    if (!this.options.listening && !this.keyWatch) return;
    (this.options.signals ?? process).on('SIGHUP', () => this.onHangUp());
  }

  private onHangUp(): void {
    const { log } = this.options;
    if (this.stopped) return log('SIGHUP while stopping: nothing to rotate or re-read');
    if (!this.running) {
      if (!this.hangUpWaiting) log('SIGHUP during start-up: acted on once the sync is running');
      this.hangUpWaiting = true;
      return;
    }
    this.hangUpWaiting = false;
    this.keyWatch?.check();
    this.rotate(this.running.webhooks, 'SIGHUP');
  }

  private rotate(webhooks: WebhookChannel | undefined, why: string): void {
    const { log } = this.options;
    if (!webhooks) return;
    log(`${why}: rotating the webhook signing secret`);
    webhooks.rotateSecret().then(
      (started) => log(started ? `secret rotation done: subscription ${webhooks.subscriptionId ?? ''} and its new secret are in use` : 'no rotation started: one is under way, or the sync is stopping'),
      (error: unknown) => log(`secret rotation failed: ${error instanceof Error ? error.message : String(error)}`),
    );
  }

  private startTimedRotations(webhooks: WebhookChannel | undefined): void {
    const every = this.options.settings.rotateSecretEveryMs;
    if (webhooks && every !== undefined) {
      this.rotationTimer = setInterval(() => this.rotate(webhooks, '--rotate-secret-every'), every);
      this.rotationTimer.unref();
    }
  }
}
