/**
 * `/_sandbox/*`: control routes for a sandbox in another process (benchmarks, end-to-end
 * tests, `eventsync sandbox`). No auth, loopback only, never rate limited or faulted.
 *
 * Sandbox-wide: stats (summed over tenants), faults, webhook faults, the generator of every
 * tenant, every delivery attempt, revoking any key, per-key usage, the tenant list. The
 * feed routes without a tenant (`/events/ids`, `/emit`) act on the first tenant, the only
 * one of a sandbox started without `tenants`; `/tenants/:slug/...` (admin-tenants.ts) reach
 * any tenant.
 */
import type { EventType } from '@eventsync/core';
import { tenantRoutes, feedRoutes } from './admin-tenants.js';
import { deliveriesPage, flag, readGenerator, settle } from './admin-requests.js';
import type { DeliveryRecord } from './deliveries.js';
import { invalidParameter } from './errors.js';
import type { KeyUsageReport } from './key-usage.js';
import type { FaultOptions } from './options.js';
import type { Route } from './router.js';
import type { WebhookFaultOptions } from './webhook-faults.js';

/** One tenant's powers, as its /_sandbox/tenants/:slug routes use them. */
export interface TenantAdmin {
  stats(): Record<string, unknown>;
  eventIds(visibleOnly: boolean): string[];
  emit(type: EventType, count: number, data: Record<string, unknown> | undefined, commitDelayMs: number | undefined): string[];
  startGenerator(ratePerSecond: number, types: EventType[] | undefined): number;
  /** The tenant's delivery log, oldest first. */
  deliveries(): readonly DeliveryRecord[];
  revoke(): void;
  usage(perSecond: boolean): KeyUsageReport[];
}

/** A tenant as GET /_sandbox/tenants lists it; the key is a test key, and remote drivers need it to call the API. */
export interface TenantSummary {
  readonly slug: string;
  readonly id: string;
  readonly apiKey: string;
  readonly revoked: boolean;
}

export interface AdminControls {
  stats(): Record<string, unknown>;
  setFaults(faults: FaultOptions): FaultOptions;
  setWebhookFaults(faults: WebhookFaultOptions): WebhookFaultOptions;
  /** Every tenant's generator at this rate. */
  startGenerator(ratePerSecond: number, types: EventType[] | undefined): number;
  revokeKey(key: string): void;
  /** The delivery log of every tenant, oldest first. */
  deliveries(): readonly DeliveryRecord[];
  usage(perSecond: boolean): KeyUsageReport[];
  tenants(): TenantSummary[];
  /** The tenant the unscoped feed routes act on. */
  readonly first: TenantAdmin;
  tenant(slug: string): TenantAdmin | undefined;
}

export const ADMIN_PREFIX = '/_sandbox';

export function adminRoutes(controls: AdminControls): Route[] {
  return [
    ...sandboxRoutes(controls),
    ...feedRoutes('', () => controls.first),
    ...tenantRoutes(controls),
  ];
}

function sandboxRoutes(controls: AdminControls): Route[] {
  return [
    { method: 'GET', path: '/stats', handle: () => ({ status: 200, body: controls.stats() }) },
    {
      method: 'PUT',
      path: '/faults',
      handle: ({ body }) => ({ status: 200, body: { faults: settle(() => controls.setFaults(body() as FaultOptions)) } }),
    },
    {
      method: 'POST',
      path: '/generator',
      handle: ({ body }) => {
        const { ratePerSecond, types } = readGenerator(body());
        return { status: 200, body: { ratePerSecond: settle(() => controls.startGenerator(ratePerSecond, types)) } };
      },
    },
    {
      method: 'PUT',
      path: '/webhook-faults',
      handle: ({ body }) => ({ status: 200, body: { faults: settle(() => controls.setWebhookFaults(body() as WebhookFaultOptions)) } }),
    },
    { method: 'GET', path: '/deliveries', handle: ({ query }) => ({ status: 200, body: deliveriesPage(controls.deliveries(), query) }) },
    {
      method: 'POST',
      path: '/keys/revoke',
      handle: ({ body }) => {
        const { key } = body();
        if (typeof key !== 'string' || key === '') throw invalidParameter('key', 'key must be the API key to revoke');
        controls.revokeKey(key);
        return { status: 200, body: { revoked: true } };
      },
    },
    // Summaries only unless asked: 1,000 tenants' seconds would be a large answer.
    { method: 'GET', path: '/usage', handle: ({ query }) => ({ status: 200, body: { keys: controls.usage(flag(query, 'perSecond')) } }) },
    { method: 'GET', path: '/tenants', handle: () => ({ status: 200, body: { tenants: controls.tenants() } }) },
  ];
}
