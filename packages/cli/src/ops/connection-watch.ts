/**
 * What one sync connection is doing, as the people running it see it. Observers feed it (the
 * client's attempts, the engine's commits, the subscription's health checks, the failures
 * audit); readiness, alerts, /metrics and the status page all read it, so each judges the
 * same facts. It never acts: nothing here is on the path of a commit.
 */
import type { BucketReading, CommitObservation, HealthOutcome, RequestObservation, SyncProgress } from '@eventsync/core';
import { formatSeconds } from '../status-line.js';

/** Where the live figures come from; read when asked, never copied. */
export interface WatchSources {
  readonly progress: () => SyncProgress;
  /** Now on the API's clock: what the watermark is measured against. */
  readonly apiNow: () => number;
  /** The latest rate-limit reading per bucket name. */
  readonly buckets: () => ReadonlyMap<string, BucketReading>;
  /** The bucket the feed reads from, the one whose budget the status page shows. */
  readonly readBucket: () => string;
  /** The sink, as messages name it. */
  readonly sink: () => string;
  readonly keyHint: () => string;
  /** With --listen: what the receiver turned away. */
  readonly intake?: () => { readonly rejectedSignatures: number; readonly repeated: number };
  /** With --listen: the sync's subscription (it changes with a rotation). */
  readonly subscriptionId?: () => string | undefined;
}

/** One thing that is wrong, as /readyz and the status page name it. */
export interface Problem {
  readonly check: 'api' | 'sink' | 'subscription';
  readonly message: string;
}

export interface SubscriptionView {
  readonly state: 'active' | 'disabled' | 'missing';
  readonly id: string | undefined;
  readonly detail: string;
  readonly since: number;
}

type SubscriptionState = Omit<SubscriptionView, 'id'>;

/** A condition worth telling someone about, as alerts.ts sends it. */
export interface Condition {
  readonly alert: string;
  readonly severity: 'critical' | 'warning';
  readonly message: string;
}

export interface WatchOptions {
  readonly sources: WatchSources;
  /** Local clock, for how long a state has lasted. */
  readonly now: () => number;
  /** Lag (now minus the watermark) that raises `checkpoint_lag` once the sync has caught up. */
  readonly alertLagMs: number;
  /** Only 429s and 503s for this long raise `rate_limited`. */
  readonly throttledAlertMs?: number;
}

/** "A few minutes" of nothing but 429s and 503s, the words for when waiting stops being routine. */
export const THROTTLED_ALERT_MS = 3 * 60_000;

/** Paths whose kind is remembered; past it the memory starts again (each rotation adds a subscription's paths). */
const KNOWN_PATHS = 64;

interface Outcome {
  readonly status: number | undefined;
  readonly message: string;
}

export class ConnectionWatch {
  /** The last outcome per kind of call (`GET /events`): a 403 on one endpoint is not cleared by a 200 on another. */
  private readonly lastByKind = new Map<string, Outcome>();
  private readonly kindsByPath = new Map<string, Map<string, string>>();
  private throttledSince: number | undefined;
  private sinkError: string | undefined;
  private subscription: SubscriptionState | undefined;
  private failures: number | undefined;
  private lastError: { readonly at: number; readonly message: string } | undefined;
  private caughtUp = false;

  constructor(private readonly options: WatchOptions) {}

  get sources(): WatchSources {
    return this.options.sources;
  }

  // Inputs: called by observers.

  /** Called for every request: a drain makes thousands a minute, so a repeat of the last outcome changes nothing. */
  request(observation: RequestObservation): void {
    const { status, error } = observation;
    const kind = this.kindOf(observation);
    const failed = error !== undefined && !answeredNormally(status);
    const last = this.lastByKind.get(kind);
    if (failed || last === undefined || last.status !== status || last.message !== '') this.lastByKind.set(kind, { status, message: failed ? error.message : '' });
    if (failed) this.lastError = { at: this.options.now(), message: error.message };
    if (status === 429 || status === 503) this.throttledSince ??= this.options.now();
    else if (status !== undefined && status < 300) this.throttledSince = undefined;
  }

  commit(observation: CommitObservation): void {
    if (observation.error === undefined) {
      this.sinkError = undefined;
      return;
    }
    const cause = observation.error instanceof Error ? observation.error.message : String(observation.error);
    this.sinkError = `could not commit to ${this.options.sources.sink()}: ${cause}`;
    this.lastError = { at: this.options.now(), message: this.sinkError };
  }

  /** The webhook channel started with its subscription active. */
  subscriptionStarted(): void {
    this.subscription = { state: 'active', detail: 'active', since: this.options.now() };
  }

  /** A health check's finding: disabled (and re-enabled at once) stays "disabled" until a later check finds it active. */
  health(outcome: HealthOutcome): void {
    const now = this.options.now();
    const previous = this.subscription;
    if (outcome.state === 'healthy') {
      if (previous?.state !== 'active') this.subscription = { state: 'active', detail: 'active', since: now };
      return;
    }
    if (outcome.state === 'missing') {
      this.subscription = { state: 'missing', detail: 'deleted outside eventsync; a new one is being created', since: now };
      return;
    }
    const { was } = outcome;
    const detail = was.auto_disabled_at
      ? `auto-disabled by the API's circuit breaker at ${was.auto_disabled_at} after ${was.consecutive_failures} failed deliveries; re-enabled by eventsync, polling fills the gap`
      : 'found disabled; re-enabled by eventsync, polling fills the gap';
    if (previous?.state !== 'disabled') this.subscription = { state: 'disabled', detail, since: now };
  }

  /** Failed deliveries the API's audit recorded for the subscription in the last health interval. */
  deliveryFailures(count: number): void {
    this.failures = count;
  }

  /** `GET /events`, `POST /webhooks`: method and first path segment, remembered per path (a handful: the feed, the subscription's few). */
  private kindOf({ method, path }: RequestObservation): string {
    let kinds = this.kindsByPath.get(path);
    if (!kinds) {
      if (this.kindsByPath.size >= KNOWN_PATHS) this.kindsByPath.clear();
      this.kindsByPath.set(path, (kinds = new Map()));
    }
    let kind = kinds.get(method);
    if (kind === undefined) kinds.set(method, (kind = `${method} /${path.split('/')[1] ?? ''}`));
    return kind;
  }

  // Outputs: read by readiness, alerts, metrics and the status page.

  written(): Readonly<Record<'poll' | 'webhook', number>> {
    return this.options.sources.progress().byChannel;
  }

  /** Repeats dropped per channel: by the engine (already stored) and, for webhooks, by the receiver's recent-id shortcut. */
  duplicates(): Readonly<Record<'poll' | 'webhook', number>> {
    const { duplicatesByChannel } = this.options.sources.progress();
    return { poll: duplicatesByChannel.poll, webhook: duplicatesByChannel.webhook + (this.options.sources.intake?.().repeated ?? 0) };
  }

  badSignatures(): number | undefined {
    return this.options.sources.intake?.().rejectedSignatures;
  }

  /** Seconds from the watermark to now on the API's clock; undefined before the first page. */
  lagSeconds(): number | undefined {
    const { watermark } = this.options.sources.progress();
    return watermark === null ? undefined : Math.max(0, this.options.sources.apiNow() - watermark) / 1000;
  }

  newestEventSeconds(): number | undefined {
    const { newestEventAt } = this.options.sources.progress();
    return newestEventAt === null ? undefined : newestEventAt / 1000;
  }

  subscriptionView(): SubscriptionView | undefined {
    return this.subscription && { ...this.subscription, id: this.options.sources.subscriptionId?.() };
  }

  webhookDeliveryFailures(): number | undefined {
    return this.failures;
  }

  lastErrorSeen(): { readonly at: number; readonly message: string } | undefined {
    return this.lastError;
  }

  /** Empty when ready: the last call of each kind was answered (or rate limited), the sink took its last commit, the subscription is active. */
  problems(): Problem[] {
    const problems: Problem[] = [];
    for (const [kind, outcome] of this.lastByKind) {
      if (answeredNormally(outcome.status)) continue;
      const what = outcome.status === undefined ? 'got no answer' : `answered ${outcome.status}`;
      problems.push({ check: 'api', message: `${kind} ${what}: ${outcome.message}` });
    }
    if (this.sinkError) problems.push({ check: 'sink', message: this.sinkError });
    const subscription = this.subscriptionView();
    if (subscription && subscription.state !== 'active') {
      problems.push({ check: 'subscription', message: `webhook subscription ${subscription.id ?? ''} is ${subscription.state}: ${subscription.detail}` });
    }
    return problems;
  }

  /** What alerts.ts should be saying right now; each stays until its cause clears. */
  conditions(): Condition[] {
    const conditions: Condition[] = [];
    const statuses = [...this.lastByKind.values()];
    const refused = statuses.find((outcome) => outcome.status === 401);
    if (refused) conditions.push({ alert: 'api_key_rejected', severity: 'critical', message: refused.message });
    const forbidden = statuses.find((outcome) => outcome.status === 403);
    if (forbidden) conditions.push({ alert: 'api_key_missing_scope', severity: 'critical', message: forbidden.message });
    const subscription = this.subscriptionView();
    if (subscription?.state === 'disabled') {
      conditions.push({ alert: 'subscription_auto_disabled', severity: 'critical', message: `webhook subscription ${subscription.id ?? ''} was ${subscription.detail}` });
    }
    const lag = this.lagSeconds();
    if (lag !== undefined) {
      // A first backfill starts days behind: the lag alert is for falling behind once caught up.
      if (lag * 1000 < this.options.alertLagMs) this.caughtUp = true;
      else if (this.caughtUp) {
        conditions.push({ alert: 'checkpoint_lag', severity: 'warning', message: `the checkpoint is ${formatSeconds(lag * 1000)} behind the API's clock (alert above ${formatSeconds(this.options.alertLagMs)})` });
      }
    }
    const throttledFor = this.throttledSince === undefined ? 0 : this.options.now() - this.throttledSince;
    if (throttledFor >= (this.options.throttledAlertMs ?? THROTTLED_ALERT_MS)) {
      conditions.push({
        alert: 'rate_limited',
        severity: 'warning',
        message: `the API has answered only 429 (rate limited) or 503 (unavailable) for ${formatSeconds(throttledFor)}; the sync waits as the API asks`,
      });
    }
    return conditions;
  }
}

/**
 * An answer that says nothing is wrong with the connection: a success, a rate limit (the
 * sync waits as told), or a 4xx about the request itself (a 404 for a subscription deleted
 * elsewhere, which the sync replaces). 401, 403, 5xx and no answer at all are problems.
 */
function answeredNormally(status: number | undefined): boolean {
  if (status === undefined) return false;
  if (status === 401 || status === 403) return false;
  return status < 500;
}
