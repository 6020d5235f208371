/**
 * `/metrics`: the sync in Prometheus's text format, through prom-client. The family names
 * and labels are an interface (the README lists each): dashboards and alert rules are
 * written against them, so renaming one breaks someone.
 *
 * Figures the engine and the receiver already count (events, duplicates, bad signatures,
 * lag) are read from the ConnectionWatch when scraped, so they cost nothing between scrapes
 * and say exactly what the status page says. What the observers report per request, commit
 * and pass is kept as plain numbers (a Tally, a DeferredHistogram's buffer) and handed to
 * prom-client at the next scrape: its label checks and hashing, run once per request between
 * a drain's pages, cost the main thread about 10 µs a call (README, "Metrics overhead").
 *
 * `eventsync run` serves many connections from one registry: every counter and gauge then
 * carries a `connection` label, and the histograms stay one per process (a thousand
 * connections times a dozen buckets each would bury the figures an operator reads).
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry, type HistogramConfiguration } from 'prom-client';
import type { CommitObservation, HealthOutcome, PassObservation, RequestObservation } from '@eventsync/core';
import type { ConnectionWatch } from './connection-watch.js';

/** Round trips to an API: loopback milliseconds to a slow API's tens of seconds. */
const REQUEST_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** A commit is an append and an fdatasync (or a transaction): sub-millisecond to a stalled disk. */
const COMMIT_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
/** A tail is one request; a backfill pass runs for minutes. */
const PASS_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

export interface SyncMetricsOptions {
  /** The connections to report, read at every scrape (under `run` they come and go). */
  readonly connections: () => ReadonlyArray<{ readonly name: string; readonly watch: ConnectionWatch }>;
  /** With --listen: the webhook and subscription families exist. */
  readonly listening: boolean;
  /** Add a `connection` label to every counter and gauge (`eventsync run`); sync has one connection and none. */
  readonly labelled?: boolean;
}

type Labels = Partial<Record<string, string | number>>;

export class SyncMetrics {
  readonly registry = new Registry();
  private readonly requests = new Tally();
  private readonly rateLimited = new Tally();
  private readonly requestDurations: DeferredHistogram;
  private readonly passDurations: DeferredHistogram;
  private readonly commitDurations: DeferredHistogram;
  private readonly reenabled: Counter<string> | undefined;
  private readonly registers = [this.registry];
  private readonly connections: SyncMetricsOptions['connections'];
  private readonly labelled: boolean;

  constructor({ connections, listening, labelled = false }: SyncMetricsOptions) {
    collectDefaultMetrics({ register: this.registry });
    this.connections = connections;
    this.labelled = labelled;
    const { registers, withConnection } = this.toolkit();
    this.defineReadFamilies();
    const { requests, rateLimited } = this;
    new Counter({
      name: 'eventsync_api_requests_total',
      help: 'Requests sent to the API, by rate-limit bucket and HTTP status ("none": no answer came back).',
      labelNames: withConnection(['bucket', 'status']),
      registers,
      collect() {
        requests.copyTo(this);
      },
    });
    this.requestDurations = new DeferredHistogram({
      name: 'eventsync_api_request_duration_seconds',
      help: 'Time from sending a request to the API to its answer (waiting for the rate limiter not included).',
      buckets: REQUEST_BUCKETS,
      registers,
    });
    new Counter({
      name: 'eventsync_rate_limited_total',
      help: 'Requests the API answered 429 (rate limited), by bucket.',
      labelNames: withConnection(['bucket']),
      registers,
      collect() {
        rateLimited.copyTo(this);
      },
    });
    this.passDurations = new DeferredHistogram({
      name: 'eventsync_poll_pass_duration_seconds',
      help: 'Time a polling pass took, from its first request to its last commit.',
      buckets: PASS_BUCKETS,
      registers,
    });
    this.commitDurations = new DeferredHistogram({
      name: 'eventsync_sink_commit_duration_seconds',
      help: 'Time the sink took to make a commit durable (events and checkpoint together), either channel.',
      buckets: COMMIT_BUCKETS,
      registers,
    });
    this.reenabled = listening
      ? new Counter({
          name: 'eventsync_subscription_reenabled_total',
          help: "Times the sync re-enabled its webhook subscription after finding it disabled (the API's circuit breaker).",
          labelNames: withConnection([]),
          registers,
        })
      : undefined;
    if (listening) this.defineWebhookFamilies();
  }

  /** Figures the engine and the receiver count, read from each connection's watch at every scrape. */
  private defineReadFamilies(): void {
    const { registers, connections, named, withConnection, perConnection } = this.toolkit();
    new Counter({
      name: 'eventsync_events_written_total',
      help: 'Events stored in the sink, by the channel that brought them (poll, webhook).',
      labelNames: withConnection(['channel']),
      registers,
      collect() {
        this.reset();
        for (const { name, watch } of connections()) addCounts(this, watch.written(), named(name));
      },
    });
    new Counter({
      name: 'eventsync_duplicates_skipped_total',
      help: 'Events that arrived again and were not stored twice, by the channel the repeat came in on.',
      labelNames: withConnection(['channel']),
      registers,
      collect() {
        this.reset();
        for (const { name, watch } of connections()) addCounts(this, watch.duplicates(), named(name));
      },
    });
    new Gauge({
      name: 'eventsync_checkpoint_lag_seconds',
      help: "Now on the API's clock minus the checkpoint's watermark: everything created before the watermark is stored. NaN before the first page.",
      labelNames: withConnection([]),
      registers,
      collect() {
        perConnection(this, (watch) => watch.lagSeconds() ?? Number.NaN);
      },
    });
    new Gauge({
      name: 'eventsync_last_event_timestamp_seconds',
      help: 'created_at of the newest event this process stored, in Unix seconds. NaN until it stores one.',
      labelNames: withConnection([]),
      registers,
      collect() {
        perConnection(this, (watch) => watch.newestEventSeconds() ?? Number.NaN);
      },
    });
    new Gauge({
      name: 'eventsync_rate_limit_remaining',
      help: "Requests left in the API's rate-limit window, by bucket, as its last X-RateLimit-Remaining said.",
      labelNames: withConnection(['bucket']),
      registers,
      collect() {
        this.reset();
        for (const { name, watch } of connections()) {
          for (const [bucket, reading] of watch.sources.buckets()) if (reading.remaining !== undefined) this.set(named(name, { bucket }), reading.remaining);
        }
      },
    });
    new Gauge({
      name: 'eventsync_ready',
      help: '1 when /readyz answers 200, else 0.',
      labelNames: withConnection([]),
      registers,
      collect() {
        perConnection(this, (watch) => (watch.problems().length === 0 ? 1 : 0));
      },
    });
  }

  /** With --listen: what the receiver turned away, and the subscription's health. */
  private defineWebhookFamilies(): void {
    const { registers, connections, named, withConnection, perConnection } = this.toolkit();

    new Counter({
      name: 'eventsync_bad_signatures_total',
      help: 'Webhook deliveries refused because no signature matched the signing secret(s).',
      labelNames: withConnection([]),
      registers,
      collect() {
        this.reset();
        for (const { name, watch } of connections()) this.inc(named(name), watch.badSignatures() ?? 0);
      },
    });
    new Gauge({
      name: 'eventsync_subscription_active',
      help: "1 while the last health check found the sync's webhook subscription active; 0 from a check that found it disabled or gone until one finds it active again.",
      labelNames: withConnection([]),
      registers,
      collect() {
        perConnection(this, (watch) => (watch.subscriptionView()?.state === 'active' ? 1 : 0));
      },
    });
    new Gauge({
      name: 'eventsync_webhook_delivery_failures',
      help: "Failed deliveries the API's failures audit recorded for the sync's subscription during the last health interval. NaN before the first reading.",
      labelNames: withConnection([]),
      registers,
      collect() {
        perConnection(this, (watch) => watch.webhookDeliveryFailures() ?? Number.NaN);
      },
    });
  }

  /** What defining a family needs, as plain functions: inside a family's `collect()`, `this` is the family. */
  private toolkit() {
    return {
      registers: this.registers,
      connections: this.connections,
      named: (connection: string, labels?: Labels): Labels => this.named(connection, labels),
      withConnection: (names: string[]): string[] => this.labelNames(names),
      perConnection: (gauge: Gauge<string>, value: (watch: ConnectionWatch) => number | undefined): void => this.perConnection(gauge, value),
    };
  }

  /** `labels` with the connection's name added when labelled. */
  private named(connection: string, labels: Labels = {}): Labels {
    return this.labelled ? { connection, ...labels } : labels;
  }

  private labelNames(names: string[]): string[] {
    return this.labelled ? ['connection', ...names] : names;
  }

  /** Sets a gauge per connection from `value` (skipped when undefined). */
  private perConnection(gauge: Gauge<string>, value: (watch: ConnectionWatch) => number | undefined): void {
    gauge.reset();
    for (const { name, watch } of this.connections()) {
      const figure = value(watch);
      if (figure !== undefined) gauge.set(this.named(name), figure);
    }
  }

  /** `connection` names the connection under `run` (labelled); sync leaves it out. */
  request(observation: RequestObservation, connection = ''): void {
    const { bucket, status } = observation;
    const answer = status === undefined ? 'none' : String(status);
    this.requests.add(`${connection}\n${bucket}\n${answer}`, () => this.named(connection, { bucket, status: answer }));
    this.requestDurations.observe(observation.durationMs / 1000);
    if (status === 429) this.rateLimited.add(`${connection}\n${bucket}`, () => this.named(connection, { bucket }));
  }

  commit(observation: CommitObservation): void {
    if (observation.error === undefined) this.commitDurations.observe(observation.durationMs / 1000);
  }

  pass(observation: PassObservation): void {
    this.passDurations.observe(observation.durationMs / 1000);
  }

  health(outcome: HealthOutcome, connection = ''): void {
    if (outcome.state === 're-enabled') this.reenabled?.inc(this.named(connection));
  }

  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

/** A counter whose value is counted elsewhere (the engine, the receiver): shown as read, never decreasing since its source never does. */
function addCounts(counter: Counter<string>, counts: Readonly<Record<string, number>>, labels: Labels): void {
  for (const [channel, count] of Object.entries(counts)) counter.inc({ ...labels, channel }, count);
}

/** Counts by label set, kept as plain numbers where they happen and copied into a counter at each scrape. */
class Tally {
  private readonly counts = new Map<string, { readonly labels: Labels; count: number }>();

  /** One more for `key`; `labels` is called the first time the key is seen. */
  add(key: string, labels: () => Labels): void {
    const entry = this.counts.get(key);
    if (entry) entry.count++;
    else this.counts.set(key, { labels: labels(), count: 1 });
  }

  copyTo(counter: Counter<string>): void {
    counter.reset();
    for (const { labels, count } of this.counts.values()) counter.inc(labels, count);
  }
}

/**
 * A histogram whose observations wait in a fixed buffer, written as they happen and moved
 * into prom-client's histogram when it is read (a scrape), or at once when the buffer fills.
 */
class DeferredHistogram {
  private static readonly CAPACITY = 1024;
  private readonly values = new Float64Array(DeferredHistogram.CAPACITY);
  private length = 0;
  private readonly histogram: Histogram;

  constructor(configuration: Omit<HistogramConfiguration<string>, 'collect'>) {
    this.histogram = new Histogram({ ...configuration, collect: () => this.flush() });
  }

  observe(value: number): void {
    if (this.length === DeferredHistogram.CAPACITY) this.flush();
    this.values[this.length++] = value;
  }

  private flush(): void {
    for (let index = 0; index < this.length; index++) this.histogram.observe(this.values[index]!);
    this.length = 0;
  }
}
