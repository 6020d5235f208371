/**
 * GET /me: the credential test of the n8n credentials and the Zapier auth test
 * (docs/api-contract.md, Authentication and scopes).
 */
import type { Me } from '@eventsync/core';
import type { Route } from '../router.js';

export function meRoutes(): Route[] {
  return [
    {
      method: 'GET',
      path: '/me',
      handle: ({ key, tenant }) => {
        const me: Me = { key: { name: key.name, last4: key.key.slice(-4), scopes: [...key.scopes] }, tenant: tenant.state.tenant };
        return { status: 200, body: me };
      },
    },
  ];
}
