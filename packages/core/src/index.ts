// The public face of @eventsync/core: re-exports only. Nothing here touches Node's
// runtime (no timers, no process, no http): see ./node for that.
export * from './config.js';
export * from './errors.js';
export * from './transport.js';
export * from './types.js';
export { ApiClient, type RequestOptions, type ClientStats, type BucketReading, type QueryValue } from './client.js';
export { decideRetry, backoffDelay, parseRetryAfter, type RetryDecision, type RetryContext } from './retry.js';
export { EventsFeed, type FeedPage, type PagesOptions } from './events.js';
export {
  CheckpointTracker,
  DEFAULT_LOOKBACK_MS,
  DEFAULT_SETTLE_MS,
  type Checkpoint,
  type CheckpointOptions,
  type PassWindow,
  type PassKind,
} from './checkpoint.js';
export { pollOnce, passQuery, type PollOnceOptions, type PollOnceResult, type PassQueryOptions } from './poll-once.js';
export { ServerClock, type ClockBounds } from './server-clock.js';
export { Records, type WriteOptions } from './records.js';
export { BoundedIdSet, type DedupeStore } from './dedupe.js';
export { SyncEngine, type SyncProgress, type SyncEngineOptions, type CommitObservation, type PassObservation } from './sync-engine.js';
export { EventsyncClient } from './eventsync-client.js';
export type { Channel, CommittedState, EventStorage, StorageGuarantee, StoredEvent } from './storage.js';
export * from './signatures.js';
export { Subscriptions, type SubscriptionInput, type SubscriptionPatch, type ListOptions } from './subscriptions.js';
export { WebhookIntake, parseEnvelope, type WebhookIntakeOptions, type IntakeVerdict, type IntakeStats } from './webhook-intake.js';
export { SubscriptionHealth, type SubscriptionHealthOptions, type HealthOutcome } from './subscription-health.js';
export { presetChoices, presetChoice, type PresetChoice } from './preset-choices.js';
export { EVENT_DATA_FIELDS, type EventDataField } from './event-data.js';
