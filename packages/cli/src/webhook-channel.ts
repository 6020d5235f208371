/**
 * The webhook half of `eventsync sync --listen`: a receiver, the sync's own managed
 * subscription, and a watch on its health. The subscription is created on start, reused
 * after a crash (its id and secret live in the state directory, mode 0600), and deleted on
 * a clean shutdown, so runs do not leave orphans behind.
 */
import { join } from 'node:path';
import { NotFoundError, SubscriptionHealth, WebhookIntake, type EventsyncClient, type SyncEngine } from '@eventsync/core';
import { startWebhookReceiver, type WebhookReceiver } from '@eventsync/core/node';
import { SubscriptionFile, type SavedSubscription } from './subscription-file.js';

export interface WebhookChannelOptions {
  readonly client: EventsyncClient;
  readonly poller: SyncEngine;
  readonly port: number;
  /** Where the API should deliver, when not the receiver's own URL (a tunnel, a proxy). */
  readonly publicUrl?: string;
  readonly stateDir: string;
  readonly types: readonly string[];
  readonly healthIntervalMs: number;
  readonly log: (line: string) => void;
}

export class WebhookChannel {
  private saved: SavedSubscription | undefined;
  private healthTimer: ReturnType<typeof setInterval> | undefined;
  private checking = false;

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
      // The API stamps deliveries with its clock: judge the replay window by that clock, so a
      // machine whose own clock is minutes off does not turn every delivery away.
      now: () => options.client.api.clock.now(),
    });
    const receiver = await startWebhookReceiver({
      intake,
      port: options.port,
      onProcessError: (error) => options.log(`a verified delivery could not be written (polling will fetch it): ${String(error)}`),
    });
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

  /** Clean shutdown: the subscription goes with the process. */
  async close({ deleteSubscription }: { readonly deleteSubscription: boolean }): Promise<void> {
    clearInterval(this.healthTimer);
    await this.receiver.close();
    if (deleteSubscription && this.saved) {
      await this.options.client.subscriptions.delete(this.saved.id);
      await this.file.remove();
      this.options.log(`deleted webhook subscription ${this.saved.id}`);
    }
  }

  private secrets(): string[] {
    if (!this.saved) return [];
    return [this.saved.secret];
  }

  private async ensureSubscription(): Promise<void> {
    const { subscriptions } = this.options.client;
    const saved = await this.file.load();
    if (saved && saved.url === this.url) {
      const existing = await subscriptions.get(saved.id).catch((error: unknown) => {
        if (error instanceof NotFoundError) return undefined;
        throw error;
      });
      if (existing) {
        this.saved = saved;
        if (!existing.active) await subscriptions.enable(saved.id);
        this.options.log(`reusing webhook subscription ${saved.id} left by an earlier run`);
        return;
      }
    } else if (saved) {
      // The address changed: the old subscription would deliver into the void.
      await subscriptions.delete(saved.id);
      this.options.log(`deleted webhook subscription ${saved.id}: it pointed at ${saved.url}`);
    }
    await this.create();
  }

  private async create(): Promise<void> {
    const created = await this.options.client.subscriptions.create({
      url: this.url,
      events: this.options.types.length > 0 ? this.options.types : ['*'],
      description: 'eventsync sync --listen',
      managedBy: 'eventsync',
    });
    this.saved = { id: created.id, secret: created.secret, url: this.url };
    await this.file.save(this.saved);
    this.options.log(`created webhook subscription ${created.id} delivering to ${this.url}`);
  }

  private async checkHealth(): Promise<void> {
    if (this.checking) return;
    this.checking = true;
    try {
      const outcome = await this.health.check();
      if (outcome.state === 'missing') await this.create();
    } catch (error) {
      this.options.log(`could not check the webhook subscription: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      this.checking = false;
    }
  }
}
