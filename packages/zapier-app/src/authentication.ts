/**
 * Custom auth: API key + base URL + preset. The test is the core's `me()` (GET /me), whose
 * answer also names the connection: "<key name> @ <tenant slug>".
 */
import { DEFAULT_PRESET, presetChoices, type Me } from '@eventsync/core';
import type { Bundle, ZObject } from 'zapier-platform-core';
import { withClient } from './client.js';

const variants = presetChoices();

export const authentication = {
  type: 'custom' as const,
  fields: [
    {
      key: 'apiKey',
      label: 'API Key',
      type: 'password' as const,
      required: true,
      helpText:
        'Find your API key in Eventsync under **Settings → API Keys**. ' +
        'Give it the scopes `events:read`, `webhooks:read`, `webhooks:write` and `records:write`.',
    },
    {
      key: 'baseUrl',
      label: 'Base URL',
      type: 'string' as const,
      required: true,
      placeholder: 'https://api.example.com',
      helpText:
        'The address of your Eventsync API: its origin, e.g. `https://api.example.com`, or its full base URL, e.g. `https://api.example.com/api/v1`.',
    },
    {
      key: 'preset',
      label: 'API Variant',
      type: 'string' as const,
      required: false,
      default: DEFAULT_PRESET,
      choices: variants.map((choice) => ({ value: choice.value, label: choice.label, sample: choice.value })),
      helpText: `Which variant of the Eventsync API your account uses; pick the one whose keys look like yours. ${variants
        .map((choice) => `**${choice.label}**: ${choice.description}.`)
        .join(' ')}`,
    },
  ],
  test: (z: ZObject, bundle: Bundle): Promise<Me> => withClient(z, bundle, (client) => client.me()),
  /** `bundle.inputData` is what `test` returned. */
  connectionLabel: async (_z: ZObject, bundle: Bundle): Promise<string> => {
    const me = bundle.inputData as Partial<Me>;
    return `${me.key?.name ?? 'API key'} @ ${me.tenant?.slug ?? 'Eventsync'}`;
  },
};
