/**
 * The webhook half of `eventsync sync --listen`: a receiver, the sync's own managed
 * subscription, and a watch on its health. The subscription is created on start, reused
 * after a crash (its id and secret live in the state directory, mode 0600), and deleted on
 * a clean shutdown, so runs do not leave orphans behind.
 */
import { join } from 'node:path';
import { NotFoundError, StoppedError, SubscriptionHealth, WebhookIntake, type EventsyncClient, type HealthOutcome, type Subscription, type SyncEngine } from '@eventsync/core';
import { stoppableSleep, type WebhookReceiver } from '@eventsync/core/node';
import { saveRotationFailure } from './rotation-failure.js';
import { rotateSecret } from './secret-rotation.js';
import { SubscriptionFile, type SavedSubscription } from './subscription-file.js';

/**
 * How long the old secret is still accepted once its subscription is deleted: a delivery
 * already on the wire then still arrives, and the API gives an attempt 10 s
 * (docs/api-decisions.md, webhook decisions), so a few seconds more cover it.
 */
const OLD_SECRET_GRACE_MS = 15_000;

export interface WebhookChannelOptions {
  readonly client: EventsyncClient;
  readonly poller: SyncEngine;
  /** Where deliveries arrive: `sync` starts a receiver of its own, `run` mounts one endpoint of its shared receiver. */
  readonly openEndpoint: (intake: WebhookIntake) => Promise<WebhookReceiver>;
  /** Where the API should deliver, when not the endpoint's own URL (a tunnel, a proxy). */
  readonly publicUrl?: string;
  /** Written on the subscription, so the API's dashboard says what made it. */
  readonly description: string;
  /**
   * Subscriptions left for this connection by another process (a worker that died or handed
   * the connection over): deleted at start, so deliveries do not go on to an address nobody
   * reads. Polling covers what they carried meanwhile.
   */
  readonly isLeftover?: (subscription: Subscription) => boolean;
  /**
   * Nothing else delivers to this channel's URL (`sync`: it listens on the address and holds
   * the state directory's lock), so eventsync's subscriptions to it other than the saved one
   * are this channel's own, left by a crash between a create and its save: deleted at start
   * (isOrphan). `run` leaves it off: its workers may share one public address.
   */
  readonly ownsUrl?: boolean;
  readonly stateDir: string;
  readonly types: readonly string[];
  readonly healthIntervalMs: number;
  readonly log: (line: string) => void;
  /** Told what each health check found (metrics, alerts): an observer. */
  readonly onHealth?: (outcome: HealthOutcome) => void;
}

export class WebhookChannel {
  private saved: SavedSubscription | undefined;
  private healthTimer: ReturnType<typeof setInterval> | undefined;
  /**
   * A health check and a rotation both act on the subscription, so they take turns, and
   * close() lets the one under way finish before it deletes anything: else a check that read
   * the old id mid-rotation finds it gone and creates a third subscription, and a rotation
   * that outlives close() writes the state file back, naming a deleted subscription.
   */
  private checking: Promise<void> | undefined;
  private rotating: Promise<void> | undefined;
  /** Aborted by close(): a rotation's waits end, and the rotation is undone. */
  private readonly closing = new AbortController();
  /** While a rotation waits for its new secret (WebhookIntake's `secretArriving`). */
  private secretArriving: Promise<void> | undefined;
  /** Secrets of deleted subscriptions, still accepted for OLD_SECRET_GRACE_MS. */
  private readonly retiring = new Set<string>();
  private readonly graceTimers = new Set<ReturnType<typeof setTimeout>>();

  private constructor(
    private readonly options: WebhookChannelOptions,
    readonly intake: WebhookIntake,
    private readonly receiver: WebhookReceiver,
    private readonly file: SubscriptionFile,
    readonly health: SubscriptionHealth,
  ) {}

  static async start(options: WebhookChannelOptions): Promise<WebhookChannel> {
    const file = new SubscriptionFile(join(options.stateDir, 'subscription.json'));
    let channel: WebhookChannel | undefined;
    const intake = new WebhookIntake({
      poller: options.poller,
      signature: options.client.config.signature,
      secrets: () => channel?.secrets() ?? [],
      secretArriving: () => channel?.secretArriving,
      // The API stamps deliveries with its clock: judge the replay window by that clock, so a
      // machine whose own clock is minutes off does not turn every delivery away.
      now: () => options.client.api.clock.now(),
    });
    const receiver = await options.openEndpoint(intake);
    const health = new SubscriptionHealth({
      subscriptions: options.client.subscriptions,
      subscriptionId: () => channel?.saved?.id ?? '',
      onGap: () => options.poller.wake(),
      onAlert: (message) => options.log(message),
    });
    channel = new WebhookChannel(options, intake, receiver, file, health);
    try {
      await channel.ensureSubscription();
    } catch (error) {
      await receiver.close();
      throw error;
    }
    channel.healthTimer = setInterval(() => void channel.checkHealth(), options.healthIntervalMs);
    return channel;
  }

  get url(): string {
    return this.options.publicUrl ?? this.receiver.url;
  }

  get subscriptionId(): string | undefined {
    return this.saved?.id;
  }

  /**
   * A new signing secret with no gap (secret-rotation.ts): a second subscription, both
   * secrets accepted, a test delivery through the receiver, the old one deleted. One at a
   * time; false when one was already under way or the channel is closing. A failure is also
   * noted in the state directory, for `subscriptions rotate` waiting on it (rotation-failure.ts).
   */
  async rotateSecret(): Promise<boolean> {
    if (this.rotating || this.closing.signal.aborted || !this.saved) return false;
    const subscription = this.saved.id;
    const rotation = this.rotate();
    this.rotating = rotation;
    try {
      await rotation;
      return true;
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      // Only a note for a waiting command: the caller logs the failure whether or not it is saved.
      const failure = { subscription, inUse: this.saved?.id ?? subscription, reason, at: new Date().toISOString() };
      await saveRotationFailure(this.options.stateDir, failure).catch(() => undefined);
      throw error;
    } finally {
      this.rotating = undefined;
    }
  }

  private async rotate(): Promise<void> {
    await this.checking;
    this.stopIfClosing();
    // The last rotation created its subscription but could not delete the old one: that first.
    if (this.saved?.previous) this.saved = await this.dropPrevious(this.saved);
    // A health check first, as the timer's would: a subscription the circuit breaker disabled
    // since the last one is re-enabled (and said so, and its gap polled) before the rotation
    // copies it, which leaves the new one as it finds the old. One that cannot be re-enabled
    // fails the rotation here, before anything is created.
    const health = await this.checkOnce();
    this.stopIfClosing();
    // Made anew, it has a secret of its own already: nothing left to rotate.
    if (health.state === 'missing') return;
    const before = this.saved!;
    // From the create request on, the API may sign deliveries with a secret this process does not have yet.
    let arrived!: () => void;
    this.secretArriving = new Promise<void>((resolve) => (arrived = resolve));
    const secretHere = (): void => {
      this.secretArriving = undefined;
      arrived();
    };
    try {
      await rotateSecret(before.id, {
        subscriptions: this.options.client.subscriptions,
        acceptBoth: async (created) => {
          this.saved = { id: created.id, secret: created.secret, url: before.url, previous: { id: before.id, secret: before.secret } };
          secretHere();
          await this.file.save(this.saved);
        },
        acceptOldOnly: async () => {
          this.saved = before;
          await this.file.save(before);
        },
        dropOld: async (_old, created) => {
          // Retired before it leaves `saved`: deliveries already on the wire still carry it.
          this.retire(before.secret);
          this.saved = { id: created.id, secret: created.secret, url: before.url };
          await this.file.save(this.saved);
        },
        verifyEveryMs: 1_000,
        verifyWithinMs: 30_000,
        // A stop ends the wait with StoppedError: the rotation is undone before close() deletes.
        sleep: (ms) => stoppableSleep(ms, this.closing.signal),
        now: Date.now,
        log: this.options.log,
      });
    } finally {
      secretHere();
    }
  }

  private stopIfClosing(): void {
    if (this.closing.signal.aborted) throw new StoppedError('the sync is stopping');
  }

  /** Clean shutdown: the subscription goes with the process. */
  async close({ deleteSubscription }: { readonly deleteSubscription: boolean }): Promise<void> {
    clearInterval(this.healthTimer);
    this.closing.abort();
    await Promise.allSettled([this.rotating, this.checking]);
    for (const timer of this.graceTimers) clearTimeout(timer);
    await this.receiver.close();
    if (deleteSubscription && this.saved) {
      // Mid-rotation both subscriptions exist: neither may outlive the process.
      if (this.saved.previous) await this.options.client.subscriptions.delete(this.saved.previous.id);
      await this.options.client.subscriptions.delete(this.saved.id);
      await this.file.remove();
      this.options.log(`deleted webhook subscription ${this.saved.id}`);
    }
  }

  /** The current secret first, then those still accepted: a rotation's old one, and old ones in their grace period. */
  private secrets(): string[] {
    if (!this.saved) return [];
    return [this.saved.secret, ...(this.saved.previous ? [this.saved.previous.secret] : []), ...this.retiring];
  }

  private retire(secret: string): void {
    this.retiring.add(secret);
    const timer = setTimeout(() => {
      this.retiring.delete(secret);
      this.graceTimers.delete(timer);
    }, OLD_SECRET_GRACE_MS);
    timer.unref();
    this.graceTimers.add(timer);
  }

  private async ensureSubscription(): Promise<void> {
    const { subscriptions } = this.options.client;
    let saved = await this.file.load();
    if (saved?.previous) saved = await this.dropPrevious(saved);
    if (saved && saved.url === this.url) {
      const existing = await subscriptions.get(saved.id).catch((error: unknown) => {
        if (error instanceof NotFoundError) return undefined;
        throw error;
      });
      if (existing) {
        this.saved = saved;
        if (!existing.active) await subscriptions.enable(saved.id);
        this.options.log(`reusing webhook subscription ${saved.id} left by an earlier run`);
        await this.deleteLeftovers();
        return;
      }
    } else if (saved) {
      // The address changed: the old subscription would deliver into the void.
      await subscriptions.delete(saved.id);
      this.options.log(`deleted webhook subscription ${saved.id}: it pointed at ${saved.url}`);
    }
    await this.deleteLeftovers();
    await this.create();
  }

  /** A rotation that did not finish: its new subscription is saved, the old one may still deliver. Deleted now. */
  private async dropPrevious(saved: SavedSubscription): Promise<SavedSubscription> {
    const { previous, ...current } = saved;
    if (!previous) return saved;
    await this.options.client.subscriptions.delete(previous.id);
    this.options.log(`deleted webhook subscription ${previous.id}, left by a secret rotation that did not finish`);
    this.retire(previous.secret);
    await this.file.save(current);
    return current;
  }

  private async deleteLeftovers(): Promise<void> {
    const { isLeftover, client, log } = this.options;
    for await (const subscription of client.subscriptions.iterate()) {
      if (subscription.id === this.saved?.id) continue;
      const why = this.isOrphan(subscription)
        ? `an earlier run created it for ${subscription.url} and stopped before saving it`
        : isLeftover?.(subscription)
          ? `it delivered to ${subscription.url}, which no longer syncs this connection`
          : undefined;
      if (why === undefined) continue;
      await client.subscriptions.delete(subscription.id);
      log(`deleted webhook subscription ${subscription.id}: ${why}`);
    }
  }

  /**
   * Eventsync's subscription to this very URL, yet not the one saved, when the channel owns
   * its URL: a run (or a rotation) that ended between the create request and saving its
   * answer. Its secret was never kept, so every delivery it makes would be refused.
   */
  private isOrphan(subscription: Subscription): boolean {
    return this.options.ownsUrl === true && subscription.managed_by === 'eventsync' && subscription.url === this.url;
  }

  private async create(): Promise<void> {
    const created = await this.options.client.subscriptions.create({
      url: this.url,
      events: this.options.types.length > 0 ? this.options.types : ['*'],
      description: this.options.description,
      managedBy: 'eventsync',
    });
    this.saved = { id: created.id, secret: created.secret, url: this.url };
    await this.file.save(this.saved);
    this.options.log(`created webhook subscription ${created.id} delivering to ${this.url}`);
  }

  private async checkHealth(): Promise<void> {
    // A rotation pauses its new subscription for a moment: that is not the circuit breaker.
    if (this.checking || this.rotating || this.closing.signal.aborted) return;
    this.checking = this.check();
    try {
      await this.checking;
    } finally {
      this.checking = undefined;
    }
  }

  private async check(): Promise<void> {
    try {
      await this.checkOnce();
    } catch (error) {
      this.options.log(`could not check the webhook subscription: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /** One health check, told to the observer; a subscription found gone is made anew unless the channel is closing. */
  private async checkOnce(): Promise<HealthOutcome> {
    const outcome = await this.health.check();
    this.options.onHealth?.(outcome);
    if (outcome.state === 'missing' && !this.closing.signal.aborted) await this.create();
    return outcome;
  }
}
