// @eventsync/core/node: the Node runtime around the pure core.
export { createAxiosTransport, type AxiosTransportOptions, type ClosableTransport } from './axios-transport.js';
export { RollingWindowLimiter, type RollingWindowLimiterOptions, type BucketStatus } from './rolling-window-limiter.js';
export { replaceFileAtomically } from './atomic-file.js';
export { NdjsonFileStorage, type NdjsonFileStorageOptions } from './ndjson-file-storage.js';
export { readNdjsonLines, type NdjsonLine } from './ndjson-lines.js';
export { OutputStorage, StreamOutput, type EventOutput } from './output-storage.js';
export { createKeyLimiter, createNodeClient, type NodeClient, type NodeClientOptions } from './create-node-client.js';
export { startWebhookReceiver, type WebhookReceiver, type WebhookReceiverOptions } from './webhook-receiver.js';
export { ForwardOutput, type ForwardOutputOptions } from './forward-output.js';
export { RedisRateLog, type SharedRateLog, type Claim } from './redis-rate-log.js';
export { stoppableSleep } from './stoppable-sleep.js';
export { storageError } from './storage-error.js';
export { PostgresStorage, type PostgresStorageOptions } from './postgres-storage.js';
export {
  PostgresLeases,
  type CommitFence,
  DEFAULT_LEASE_TTL_MS,
  heartbeatIntervalMs,
  fairShare,
  type Lease,
  type LeasesOptions,
  type Heartbeat,
  type LeaseStatus,
} from './postgres-leases.js';
export type { PostgresPool, PostgresPoolClient } from './postgres-pool.js';
export { SqliteStorage, type SqliteStorageOptions } from './sqlite-storage.js';
// The storages' tables, names and failure wording, for readers of what they wrote (`eventsync replay`, `eventsync status`).
export { tableNames as sqliteTableNames } from './sqlite-tables.js';
export { sqliteFailure } from './sqlite-failure.js';
export { PostgresLayout } from './postgres-layout.js';
export { PostgresTarget } from './postgres-target.js';
export { postgresFailure } from './postgres-failure.js';
export { acquireLock, stateLockOwner } from './writer-lock.js';
