/**
 * `eventsync run` as a service: the health, metrics and status endpoint, and alerts, for
 * every connection this process syncs. Each connection has its own ConnectionWatch (the facts
 * its readiness, metrics, status-page row and alerts are judged on), fed by observers the
 * runner hands to its client, engine and webhook channel; a runner that restarts keeps its
 * watch. The endpoint lists the connections this process holds right now (with a coordinator,
 * they move between workers).
 *
 * With neither `metrics` nor `alerts` in the config file it adds nothing.
 */
import { keyHint, type SyncProgress } from '@eventsync/core';
import type { ConnectionConfig, RunConfig } from '../config/run-config.js';
import { Alerter } from '../ops/alerts.js';
import { ConnectionWatch } from '../ops/connection-watch.js';
import { startHealthServer, type HealthServer } from '../ops/health-server.js';
import type { SyncMetrics } from '../ops/metrics.js';
import { UsageError } from '../usage-error.js';
import type { RunnerObservers } from './connection-runner.js';
import type { RunnerSet } from './runner-set.js';

const NOTHING_YET: SyncProgress = {
  delivered: 0,
  byChannel: { poll: 0, webhook: 0 },
  duplicatesSkipped: 0,
  duplicatesByChannel: { poll: 0, webhook: 0 },
  pages: 0,
  watermark: null,
  newestEventAt: null,
  waitingOn: null,
};

interface Watched {
  readonly watch: ConnectionWatch;
  readonly alerter: Alerter | undefined;
}

export class RunOperations {
  private readonly watched = new Map<string, Watched>();
  private server: HealthServer | undefined;
  private runners: RunnerSet | undefined;

  private constructor(
    private readonly config: RunConfig,
    private readonly log: (line: string) => void,
    private readonly metrics: SyncMetrics | undefined,
  ) {}

  /** prom-client is loaded only when the config asks for metrics (as for sync: operations.ts). */
  static async create(config: RunConfig, log: (line: string) => void): Promise<RunOperations> {
    let operations: RunOperations | undefined;
    const metrics = config.metrics
      ? new (await import('../ops/metrics.js')).SyncMetrics({
          connections: () => operations?.connections() ?? [],
          listening: config.listen !== undefined,
          labelled: true,
        })
      : undefined;
    operations = new RunOperations(config, log, metrics);
    return operations;
  }

  get enabled(): boolean {
    return this.config.metrics !== undefined || this.config.alerts !== undefined;
  }

  /** The observers for one connection's runner; the watch outlives the runner's restarts. */
  observersFor(connection: ConnectionConfig): RunnerObservers {
    if (!this.enabled) return {};
    const { watch } = this.watchedFor(connection);
    const { metrics } = this;
    return {
      clientHooks: {
        onRequest: (observation) => {
          watch.request(observation);
          metrics?.request(observation, connection.name);
        },
      },
      engineHooks: {
        onCommit: (observation) => {
          watch.commit(observation);
          metrics?.commit(observation);
        },
        ...(metrics ? { onPass: (observation) => metrics.pass(observation) } : {}),
      },
      onHealth: (outcome) => {
        watch.health(outcome);
        metrics?.health(outcome, connection.name);
        this.watched.get(connection.name)?.alerter?.evaluate();
      },
      onStarted: (parts) => {
        if (parts.webhooks) watch.subscriptionStarted();
      },
    };
  }

  /** Serves the endpoint once the runners exist. */
  async start(runners: RunnerSet): Promise<void> {
    this.runners = runners;
    const { metrics } = this;
    if (!this.config.metrics || !metrics) return;
    const { host, port } = this.config.metrics;
    this.server = await startHealthServer({
      host,
      port,
      alive: () => this.runners !== undefined,
      connections: () => this.connections(),
      metrics,
      readyWhen: 'some',
    }).catch((error: unknown) => {
      throw new UsageError(`could not serve metrics on ${host}:${port} (${(error as NodeJS.ErrnoException).code ?? String(error)}); choose another metrics.port in ${this.config.path}`);
    });
    this.log(`health, metrics and status page at ${this.server.url}/ (/healthz, /readyz, /metrics)`);
  }

  async stop(): Promise<void> {
    this.runners = undefined;
    await Promise.all([...this.watched.values()].map(({ alerter }) => alerter?.stop()));
    await this.server?.close();
  }

  /** The connections this process syncs now, each with its watch. */
  private connections(): Array<{ name: string; watch: ConnectionWatch }> {
    return (this.runners?.names ?? []).flatMap((name) => {
      const watched = this.watched.get(name);
      return watched ? [{ name, watch: watched.watch }] : [];
    });
  }

  private watchedFor(connection: ConnectionConfig): Watched {
    const existing = this.watched.get(connection.name);
    if (existing) return existing;
    const running = () => this.runners?.get(connection.name)?.running;
    const watch = new ConnectionWatch({
      sources: {
        progress: () => running()?.engine.progress ?? NOTHING_YET,
        apiNow: () => running()?.client.api.clock.now() ?? Date.now(),
        buckets: () => running()?.client.api.buckets ?? new Map(),
        readBucket: () => running()?.client.config.policies.read.bucket ?? 'read',
        sink: () => running()?.storage.description ?? connection.sink.kind,
        keyHint: () => keyHint(running()?.client.config.apiKey ?? connection.client.apiKey),
        ...(this.config.listen
          ? {
              intake: () => running()?.webhooks?.intake.stats ?? { rejectedSignatures: 0, repeated: 0 },
              subscriptionId: () => running()?.webhooks?.subscriptionId,
            }
          : {}),
      },
      now: Date.now,
      alertLagMs: this.config.alerts?.lagMs ?? 10 * 60_000,
    });
    const alerts = this.config.alerts;
    // A connection another worker took over is that worker's to alert on.
    const conditions = () => (this.runners?.get(connection.name) ? watch.conditions() : []);
    const alerter = alerts ? new Alerter({ url: alerts.url, source: connection.name, conditions, log: this.log }) : undefined;
    alerter?.start();
    const watched = { watch, alerter };
    this.watched.set(connection.name, watched);
    return watched;
  }
}
