/**
 * One tenant without the server: its keys, its stores, its subscriptions and their delivery
 * engine, its generator, and the seeded streams its new subscriptions draw from. A sandbox
 * holds one of these per tenant; the key on a request picks which one the handlers work on.
 */
import { RETENTION_MS } from '@eventsync/core';
import { DeliveryEngine } from './deliveries.js';
import { DeliveryLog } from './delivery-log.js';
import type { GeneratorTicker } from './generator-ticker.js';
import { SteadyGenerator } from './generator.js';
import type { ResolvedKey, ResolvedOptions } from './options.js';
import { MonotonicUlid, Random, streamSeed } from './random.js';
import { createState, type SandboxState } from './state.js';
import { SubscriptionStore } from './subscriptions.js';
import type { ResolvedTenant } from './tenant-options.js';

export interface TenantParts {
  readonly index: number;
  readonly slug: string;
  readonly keys: readonly ResolvedKey[];
  readonly state: SandboxState;
  readonly subscriptions: SubscriptionStore;
  readonly deliveries: DeliveryEngine;
  readonly generator: SteadyGenerator;
  /** Ids of new subscriptions (`whsub_...`). */
  readonly subscriptionIds: MonotonicUlid;
  /** Signing secrets of new subscriptions. */
  readonly webhookSecrets: Random;
}

/** What the tenants of one sandbox share. */
export interface TenantSharing {
  readonly ticker: GeneratorTicker;
  /** Every tenant's delivery attempts together; undefined with one tenant (its own log is the sandbox's). */
  readonly deliveryLog: DeliveryLog | undefined;
  /** Cap of each tenant's own delivery log. */
  readonly tenantDeliveryLogMax: number;
}

const PRUNE_EVERY_MS = 60_000;

export function assembleTenant(options: ResolvedOptions, tenant: ResolvedTenant, sharing: TenantSharing): TenantParts {
  const state = createState(options, tenant);
  const subscriptions = new SubscriptionStore();
  const deliveries = new DeliveryEngine(state, subscriptions, options.webhooks, new DeliveryLog(sharing.tenantDeliveryLogMax), sharing.deliveryLog);
  return {
    index: tenant.index,
    slug: tenant.slug,
    keys: tenant.keys,
    state,
    subscriptions,
    deliveries,
    generator: prunedGenerator(state, sharing.ticker),
    subscriptionIds: new MonotonicUlid(new Random(streamSeed(tenant.seed, 'subscription-ids'))),
    webhookSecrets: new Random(streamSeed(tenant.seed, 'webhook-secrets')),
  };
}

/** Live events at a steady rate. Only a generator grows the store without bound, so it also drops what retention already hides. */
function prunedGenerator(state: SandboxState, ticker: GeneratorTicker): SteadyGenerator {
  let lastPrune = state.now();
  return new SteadyGenerator(
    {
      now: state.now,
      create: (type, ms) => state.createEvent(type, undefined, { createdMs: ms }),
      pickType: (types) => state.factory.pickType(types),
      onTick: (time) => {
        if (time - lastPrune < PRUNE_EVERY_MS) return;
        lastPrune = time;
        state.events.prune(time - RETENTION_MS);
      },
    },
    ticker,
  );
}
