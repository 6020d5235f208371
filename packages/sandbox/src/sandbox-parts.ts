/**
 * The sandbox without its socket: state, keys, faults, the request log, subscriptions and
 * their delivery engine, the live generator. The server, the in-process controls and the
 * /_sandbox routes all work on these same parts.
 */
import { RETENTION_MS } from '@eventsync/core';
import { KeyRing } from './auth.js';
import { DeliveryEngine } from './deliveries.js';
import { FaultInjector } from './faults.js';
import { SteadyGenerator } from './generator.js';
import type { ResolvedOptions } from './options.js';
import { RequestLog } from './request-log.js';
import { createState, type SandboxState } from './state.js';
import { SubscriptionStore } from './subscriptions.js';

export interface SandboxParts {
  readonly options: ResolvedOptions;
  readonly state: SandboxState;
  readonly keyRing: KeyRing;
  readonly faults: FaultInjector;
  readonly log: RequestLog;
  readonly subscriptions: SubscriptionStore;
  readonly deliveries: DeliveryEngine;
  readonly generator: SteadyGenerator;
}

const PRUNE_EVERY_MS = 60_000;

export function assembleParts(options: ResolvedOptions): SandboxParts {
  const state = createState(options);
  const keyRing = new KeyRing(options);
  const faults = new FaultInjector(options.seed, options.faults);
  const log = new RequestLog();
  const subscriptions = new SubscriptionStore();
  const deliveries = new DeliveryEngine(state, subscriptions, options.webhooks);
  return { options, state, keyRing, faults, log, subscriptions, deliveries, generator: prunedGenerator(state) };
}

/** Live events at a steady rate. Only a generator grows the store without bound, so it also drops what retention already hides. */
function prunedGenerator(state: SandboxState): SteadyGenerator {
  let lastPrune = state.now();
  return new SteadyGenerator({
    now: state.now,
    create: (type, ms) => state.createEvent(type, undefined, { createdMs: ms }),
    pickType: (types) => state.factory.pickType(types),
    onTick: (time) => {
      if (time - lastPrune < PRUNE_EVERY_MS) return;
      lastPrune = time;
      state.events.prune(time - RETENTION_MS);
    },
  });
}
