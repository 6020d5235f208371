// @eventsync/core/node: the Node runtime around the pure core.
export { createAxiosTransport, type AxiosTransportOptions, type ClosableTransport } from './axios-transport.js';
export { RollingWindowLimiter, type RollingWindowLimiterOptions, type BucketStatus } from './rolling-window-limiter.js';
export { FileCursorStore } from './file-cursor-store.js';
export { replaceFileAtomically } from './atomic-file.js';
export { NdjsonFileSink, NdjsonStreamSink, type NdjsonFileSinkOptions } from './ndjson-file-sink.js';
export { createNodeClient, type NodeClient, type NodeClientOptions } from './create-node-client.js';
export { startWebhookReceiver, type WebhookReceiver, type WebhookReceiverOptions } from './webhook-receiver.js';
export { ForwardSink, type ForwardSinkOptions } from './forward-sink.js';
export { RedisRateLog, type SharedRateLog, type Claim } from './redis-rate-log.js';
export { stoppableSleep } from './stoppable-sleep.js';
export { storageError } from './storage-error.js';
export { SqliteStorage, type SqliteStorageOptions } from './sqlite-storage.js';
