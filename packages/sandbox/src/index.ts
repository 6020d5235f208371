// The public face of @eventsync/sandbox: re-exports only.
export { startSandbox, type Sandbox } from './server.js';
export type { SandboxTenant, TenantControls } from './controls.js';
export type { BucketUsage, KeyUsageReport, SecondCount } from './key-usage.js';
export { tenantSlug } from './tenant-options.js';
export type { FaultOptions, GeneratorOptions, SandboxKey, SandboxOptions, WebhookOptions } from './options.js';
export type { RequestRecord } from './request-log.js';
export type { DeliveryRecord } from './deliveries.js';
export type { TestDelivery as TestResult } from '@eventsync/core';
export type { ManagedBy, SubscriptionView, SubscriptionWithSecret, DeliveryFailure } from './subscriptions.js';
export type { WebhookFaultOptions } from './webhook-faults.js';
