/**
 * The delivery engine (docs/api-contract.md, Deliveries): when an event commits, every
 * active subscription that wants its type gets a delivery, signed with core's
 * `deliveryHeaders`. A failed attempt is audited, counted and retried on the preset's
 * schedule (scaled by `timeScale`); the circuit breaker turns a subscription off after
 * `circuitBreakerThreshold` failures in a row. Attempts run concurrently, so arrival order
 * is not guaranteed.
 *
 * Retry waits, the send timeout and injected delays are real time; timestamps (signature,
 * `attempted_at`, `auto_disabled_at`) are the sandbox clock, like every other time it shows.
 */
import { TEST_EVENT_TYPE, deliveryHeaders, type EventEnvelope, type TestDelivery } from '@eventsync/core';
import { CommitWatcher } from './commit-watcher.js';
import { DeliveryLog } from './delivery-log.js';
import type { StoredEvent } from './event-store.js';
import type { ResolvedWebhookOptions } from './options.js';
import { MonotonicUlid, Random, streamSeed } from './random.js';
import type { SandboxState } from './state.js';
import { subscribesTo, type StoredSubscription, type SubscriptionStore } from './subscriptions.js';
import { isoTime } from './time.js';
import { WebhookFaultInjector, type WebhookFaultOptions } from './webhook-faults.js';
import { WebhookSender, type SendResult } from './webhook-sender.js';

/** One attempt (or a fault's stand-in for one), as `sandbox.deliveries` lists it. */
export interface DeliveryRecord {
  /** Sandbox clock when the attempt was made. */
  at: number;
  delivery_id: string;
  subscription_id: string;
  event_id: string;
  /** 1 for the first try, 2 for the first retry, ... */
  attempt: number;
  /** The endpoint's answer; null when there was none (or nothing was sent). */
  status: number | null;
  ok: boolean;
  /** `dropped`: never sent; `duplicate`: the second copy of a sent attempt; `tampered`: a body byte changed after signing. */
  fault?: 'dropped' | 'duplicate' | 'tampered';
  error?: string;
}

interface Delivery {
  readonly id: string;
  readonly subscriptionId: string;
  readonly eventId: string;
  readonly eventType: string;
  /** The envelope's JSON, exactly as the feed serves it; the same bytes on every retry. */
  readonly body: Buffer;
}

interface CommitEntry {
  readonly event: StoredEvent;
  /** Subscriptions created before the event (seq below this) receive it. */
  readonly subscriptionsBefore: number;
}

export class DeliveryEngine {
  readonly faults: WebhookFaultInjector;
  private total = 0;
  private readonly sender: WebhookSender;
  private readonly watcher: CommitWatcher<CommitEntry>;
  private readonly ids: MonotonicUlid;
  /** Retry and delay timers per subscription, so a disabled or deleted one loses them at once. */
  private readonly timers = new Map<string, Map<NodeJS.Timeout, () => void>>();
  private stopped = false;

  constructor(
    private readonly state: SandboxState,
    private readonly subscriptions: SubscriptionStore,
    private readonly options: ResolvedWebhookOptions,
    /** This tenant's attempts. */
    private readonly log: DeliveryLog = new DeliveryLog(),
    /** Every tenant's attempts, when the sandbox has several. */
    private readonly shared?: DeliveryLog,
  ) {
    this.faults = new WebhookFaultInjector(state.seed, options.faults);
    this.sender = new WebhookSender(options.deliveryTimeoutMs);
    this.watcher = new CommitWatcher(state.now, (entry) => this.committed(entry));
    this.ids = new MonotonicUlid(new Random(streamSeed(state.seed, 'delivery-ids')));
    state.onEvent((event) => {
      // A subscription receives events created after it: with none, there is nothing to watch.
      if (this.subscriptions.size === 0) return;
      this.watcher.add(event.visibleAt, { event, subscriptionsBefore: this.subscriptions.nextSeq });
    });
  }

  /** Every attempt of this tenant (the newest, up to the log's cap), in the order they finished. */
  get records(): readonly DeliveryRecord[] {
    return this.log.records;
  }

  /** Attempts made, events waiting to commit, retries and delayed sends waiting, requests on the wire. */
  get stats(): { attempts: number; awaitingCommit: number; scheduled: number; inFlight: number } {
    let scheduled = 0;
    for (const pending of this.timers.values()) scheduled += pending.size;
    return { attempts: this.total, awaitingCommit: this.watcher.size, scheduled, inFlight: this.sender.pending };
  }

  setFaults(faults: WebhookFaultOptions): WebhookFaultOptions {
    this.faults.set(faults);
    return this.faults.current;
  }

  /** Sends a `webhook.test` event to the subscription now, active or not, and waits for that attempt. */
  async test(subscription: StoredSubscription): Promise<TestDelivery> {
    const now = this.state.now();
    const envelope: EventEnvelope = {
      id: `evt_${this.ids.next(now)}`,
      type: TEST_EVENT_TYPE,
      created_at: isoTime(now),
      data: { subscription_id: subscription.id, message: 'A test delivery from the sandbox: verify its signature and answer 2xx.' },
    };
    const delivery = this.newDelivery(subscription, envelope.id, envelope.type, Buffer.from(JSON.stringify(envelope)));
    const result = await this.attempt(delivery, 1, true);
    return { delivery_id: delivery.id, http_status: result?.status ?? null, duration_ms: result?.durationMs ?? 0, ok: result?.ok ?? false };
  }

  /** Forgets the subscription's pending retries and delays (it was disabled or deleted). */
  dropPending(subscriptionId: string): void {
    const pending = this.timers.get(subscriptionId);
    if (!pending) return;
    this.timers.delete(subscriptionId);
    for (const [timer, cancelled] of pending) {
      clearTimeout(timer);
      cancelled();
    }
  }

  /** Cancels every timer and aborts deliveries on the wire; nothing is sent afterwards. */
  stop(): void {
    this.stopped = true;
    this.watcher.stop();
    for (const id of [...this.timers.keys()]) this.dropPending(id);
    this.sender.close();
  }

  private committed({ event, subscriptionsBefore }: CommitEntry): void {
    let body: Buffer | undefined;
    for (const subscription of this.subscriptions.all()) {
      if (subscription.seq >= subscriptionsBefore || !subscription.active || !subscribesTo(subscription, event.type)) continue;
      body ??= Buffer.from(event.toJSONText());
      void this.attempt(this.newDelivery(subscription, event.id, event.type, body), 1, false);
    }
  }

  private newDelivery(subscription: StoredSubscription, eventId: string, eventType: string, body: Buffer): Delivery {
    return { id: `del_${this.ids.next(this.state.now())}`, subscriptionId: subscription.id, eventId, eventType, body };
  }

  /**
   * One attempt: faults, sign, send, account. `force` sends to an inactive subscription
   * (the test endpoint); retries never force. Undefined when nothing was attempted
   * (subscription gone or off, sandbox stopping).
   */
  private async attempt(delivery: Delivery, attempt: number, force: boolean): Promise<SendResult | undefined> {
    const target = () => {
      const subscription = this.subscriptions.get(delivery.subscriptionId);
      return subscription && (force || subscription.active) && !this.stopped ? subscription : undefined;
    };
    let subscription = target();
    if (!subscription) return undefined;

    const at = this.state.now();
    const base = { delivery_id: delivery.id, subscription_id: delivery.subscriptionId, event_id: delivery.eventId, attempt };
    if (this.faults.drop()) {
      // Lost on the way: the dispatcher believes it sent it, so nothing is audited or retried.
      this.record({ at, ...base, status: null, ok: false, fault: 'dropped' });
      return { status: null, ok: false, error: 'dropped by the sandbox (webhook fault)', durationMs: 0 };
    }
    const delayMs = this.faults.delayMs();
    if (delayMs > 0) {
      await this.sleep(delivery.subscriptionId, delayMs);
      subscription = target();
      if (!subscription) return undefined;
    }

    const sentAt = this.state.now();
    const headers = {
      'Content-Type': 'application/json',
      ...deliveryHeaders(this.state.preset.signature, {
        secrets: [subscription.secret],
        body: delivery.body,
        timestamp: Math.floor(sentAt / 1000),
        id: delivery.id,
        eventType: delivery.eventType,
      }),
    };
    const tampered = this.faults.tamper();
    const bytes = tampered ? this.faults.tampered(delivery.body) : delivery.body;
    const duplicate = this.faults.duplicate();
    const url = subscription.url;
    const result = await this.sender.send(url, headers, bytes);
    if (this.stopped) return result;
    this.record({ at: sentAt, ...base, ...outcome(result), ...(tampered ? { fault: 'tampered' as const } : {}) });
    if (duplicate) {
      // The same attempt again, after the first was answered: what an at-least-once dispatcher does.
      void this.sender.send(url, headers, bytes).then((copy) => {
        if (!this.stopped) this.record({ at: this.state.now(), ...base, ...outcome(copy), fault: 'duplicate' });
      });
    }
    this.account(delivery, attempt, sentAt, result);
    return result;
  }

  /** Counters, audit, circuit breaker and the next retry. */
  private account(delivery: Delivery, attempt: number, sentAt: number, result: SendResult): void {
    const subscription = this.subscriptions.get(delivery.subscriptionId);
    if (!subscription) return;
    if (result.ok) {
      subscription.consecutiveFailures = 0;
      return;
    }
    this.subscriptions.addFailure(subscription, {
      delivery_id: delivery.id,
      event_id: delivery.eventId,
      attempt,
      http_status: result.status,
      error: result.error ?? 'failed',
      attempted_at: isoTime(sentAt),
    });
    subscription.consecutiveFailures++;
    if (subscription.active && subscription.consecutiveFailures >= this.options.circuitBreakerThreshold) {
      subscription.active = false;
      subscription.autoDisabledMs = this.state.now();
      this.dropPending(subscription.id);
    }
    if (!subscription.active) return;
    const waitMs = this.state.preset.retryScheduleMs[attempt - 1];
    if (waitMs === undefined) return; // schedule exhausted: give up on this delivery
    this.later(subscription.id, waitMs * this.options.timeScale, () => {
      void this.attempt(delivery, attempt + 1, false);
    });
  }

  private record(entry: DeliveryRecord): void {
    this.log.add(entry);
    this.shared?.add(entry);
    this.total++;
  }

  /** Resolves after `ms`, or at once when the subscription's timers are dropped (the caller then re-checks). */
  private sleep(subscriptionId: string, ms: number): Promise<void> {
    return new Promise((resolve) => this.later(subscriptionId, ms, resolve, resolve));
  }

  private later(subscriptionId: string, ms: number, action: () => void, cancelled: () => void = () => {}): void {
    if (this.stopped) {
      cancelled();
      return;
    }
    let pending = this.timers.get(subscriptionId);
    if (!pending) {
      pending = new Map();
      this.timers.set(subscriptionId, pending);
    }
    const own = pending;
    const timer = setTimeout(() => {
      own.delete(timer);
      if (own.size === 0 && this.timers.get(subscriptionId) === own) this.timers.delete(subscriptionId);
      action();
    }, ms);
    timer.unref();
    own.set(timer, cancelled);
  }
}

function outcome(result: SendResult): Pick<DeliveryRecord, 'status' | 'ok' | 'error'> {
  return result.error === undefined ? { status: result.status, ok: result.ok } : { status: result.status, ok: result.ok, error: result.error };
}
