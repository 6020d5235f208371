/**
 * Custom auth: API key + base URL + preset. The test is the core's `me()` (GET /me), whose
 * answer also names the connection: "<key name> @ <tenant slug>".
 */
import { DEFAULT_PRESET, PRESET_NAMES, type Me } from '@eventsync/core';
import type { Bundle, ZObject } from 'zapier-platform-core';
import { withClient } from './client.js';

export const authentication = {
  type: 'custom' as const,
  fields: [
    {
      key: 'apiKey',
      label: 'API Key',
      type: 'password' as const,
      required: true,
      helpText:
        'Find your API key in Eventsync under **Settings → API Keys** (it looks like `wlcro_live_…`). ' +
        'Give it the scopes `events:read`, `webhooks:read`, `webhooks:write` and `records:write`.',
    },
    {
      key: 'baseUrl',
      label: 'Base URL',
      type: 'string' as const,
      required: true,
      default: 'https://api.example.com',
      helpText: 'The address of your Eventsync API, without the `/api/v1` path, e.g. `https://api.example.com`.',
    },
    {
      key: 'preset',
      label: 'API Variant',
      type: 'string' as const,
      required: false,
      default: DEFAULT_PRESET,
      choices: PRESET_NAMES.map((name) => ({ value: name, label: name, sample: name })),
      helpText: `Which variant of the Eventsync API your account uses; it decides the auth header, paths and webhook signatures. Leave it as \`${DEFAULT_PRESET}\` unless Eventsync support told you otherwise.`,
    },
  ],
  test: (z: ZObject, bundle: Bundle): Promise<Me> => withClient(z, bundle, (client) => client.me()),
  /** `bundle.inputData` is what `test` returned. */
  connectionLabel: async (_z: ZObject, bundle: Bundle): Promise<string> => {
    const me = bundle.inputData as Partial<Me>;
    return `${me.key?.name ?? 'API key'} @ ${me.tenant?.slug ?? 'Eventsync'}`;
  },
};
