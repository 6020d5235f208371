/**
 * The sandbox without its socket: its tenants (one, or `tenants: N`), the key ring that maps a
 * key to its tenant, faults, the request log, per-key usage, and the one timer the tenants'
 * generators share. The server, the in-process controls and the /_sandbox routes all work on
 * these same parts.
 */
import { KeyRing } from './auth.js';
import { DELIVERY_LOG_MAX, DeliveryLog } from './delivery-log.js';
import { FaultInjector } from './faults.js';
import { GeneratorTicker } from './generator-ticker.js';
import { KeyUsage } from './key-usage.js';
import type { ResolvedOptions } from './options.js';
import { RequestLog } from './request-log.js';
import { assembleTenant, type TenantParts } from './tenant-parts.js';

export interface SandboxParts {
  readonly options: ResolvedOptions;
  /** In slug order; the first is the one a sandbox without `tenants` has. */
  readonly tenants: readonly TenantParts[];
  readonly keyRing: KeyRing;
  readonly faults: FaultInjector;
  readonly log: RequestLog;
  readonly usage: KeyUsage;
  readonly ticker: GeneratorTicker;
  /** Every delivery attempt: the one tenant's log, or (with `tenants`) all tenants' together. */
  readonly deliveryLog: DeliveryLog | undefined;
}

/** With many tenants, each keeps fewer attempts of its own (the shared log keeps DELIVERY_LOG_MAX): memory stays near one sandbox's. */
const TENANT_DELIVERY_LOG_MIN = 1000;

export function assembleParts(options: ResolvedOptions): SandboxParts {
  const ticker = new GeneratorTicker();
  const deliveryLog = options.multiTenant ? new DeliveryLog() : undefined;
  const tenantDeliveryLogMax = options.multiTenant
    ? Math.max(TENANT_DELIVERY_LOG_MIN, Math.floor(DELIVERY_LOG_MAX / options.tenants.length))
    : DELIVERY_LOG_MAX;
  const tenants = options.tenants.map((tenant) => assembleTenant(options, tenant, { ticker, deliveryLog, tenantDeliveryLogMax }));
  return {
    options,
    tenants,
    keyRing: new KeyRing(options),
    faults: new FaultInjector(options.seed, options.faults),
    log: new RequestLog(),
    usage: new KeyUsage(),
    ticker,
    deliveryLog,
  };
}
