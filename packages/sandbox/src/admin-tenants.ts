/**
 * `/_sandbox/tenants/:tenant/...`: one tenant's feed, generator, deliveries, usage and key,
 * for tests and benchmarks that drive a sandbox with `tenants` from another process. The
 * feed routes (`/events/ids`, `/emit`) are also mounted without a tenant, for the first one.
 */
import { deliveriesPage, flag, readEmit, readGenerator, settle } from './admin-requests.js';
import type { AdminControls, TenantAdmin } from './admin.js';
import { notFound } from './errors.js';
import type { RequestContext, Route } from './router.js';

const TENANT = '/tenants/:tenant';

/** The feed routes under `prefix`, acting on the tenant `pick` finds. */
export function feedRoutes(prefix: string, pick: (context: RequestContext) => TenantAdmin): Route[] {
  return [
    {
      method: 'GET',
      path: `${prefix}/events/ids`,
      handle: (context) => ({ status: 200, body: { ids: pick(context).eventIds(flag(context.query, 'visible')) } }),
    },
    {
      method: 'POST',
      path: `${prefix}/emit`,
      handle: (context) => {
        const { type, count, data, commitDelayMs } = readEmit(context.body());
        return { status: 201, body: { ids: pick(context).emit(type, count, data, commitDelayMs) } };
      },
    },
  ];
}

export function tenantRoutes(controls: AdminControls): Route[] {
  const pick = ({ params }: RequestContext): TenantAdmin => {
    const tenant = controls.tenant(params.tenant!);
    if (!tenant) throw notFound(`no tenant "${params.tenant!}" in this sandbox; GET /_sandbox/tenants lists them`);
    return tenant;
  };
  return [
    ...feedRoutes(TENANT, pick),
    { method: 'GET', path: `${TENANT}/stats`, handle: (context) => ({ status: 200, body: pick(context).stats() }) },
    {
      method: 'POST',
      path: `${TENANT}/generator`,
      handle: (context) => {
        const tenant = pick(context);
        const { ratePerSecond, types } = readGenerator(context.body());
        return { status: 200, body: { ratePerSecond: settle(() => tenant.startGenerator(ratePerSecond, types)) } };
      },
    },
    {
      method: 'GET',
      path: `${TENANT}/deliveries`,
      handle: (context) => ({ status: 200, body: deliveriesPage(pick(context).deliveries(), context.query) }),
    },
    // One tenant's keys are few: their seconds come along.
    { method: 'GET', path: `${TENANT}/usage`, handle: (context) => ({ status: 200, body: { keys: pick(context).usage(true) } }) },
    {
      method: 'POST',
      path: `${TENANT}/revoke`,
      handle: (context) => {
        pick(context).revoke();
        return { status: 200, body: { revoked: true } };
      },
    },
  ];
}
