/**
 * GET /me: the credential test of the n8n credentials and the Zapier auth test
 * (docs/api-contract.md, Authentication and scopes).
 */
import type { Me } from '@eventsync/core';
import type { Route } from '../router.js';
import type { SandboxState } from '../state.js';

export function meRoutes(state: SandboxState): Route[] {
  return [
    {
      method: 'GET',
      path: '/me',
      handle: ({ key }) => {
        const me: Me = { key: { name: key.name, last4: key.key.slice(-4), scopes: [...key.scopes] }, tenant: state.tenant };
        return { status: 200, body: me };
      },
    },
  ];
}
