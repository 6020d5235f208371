import type { Bundle, ZObject } from 'zapier-platform-core';
import { withClient } from '../client.js';
import { idempotencyKeyFor } from '../idempotency.js';
import { leadOutputFields, leadSample } from '../samples.js';
import { emailField, nameField, optionalText, text } from './fields.js';

export const createLead = {
  key: 'create_lead',
  noun: 'Lead',
  display: { label: 'Create Lead', description: 'Creates a new lead in Eventsync.' },
  operation: {
    inputFields: [emailField, nameField, { key: 'source', label: 'Source', required: false, helpText: 'Where the lead came from, e.g. "webinar".' }],
    perform: (z: ZObject, bundle: Bundle) =>
      withClient(z, bundle, (client) => {
        const input = bundle.inputData as Record<string, unknown>;
        const source = optionalText(input.source);
        return client.records.createLead(
          { email: text(input.email), name: text(input.name), ...(source === undefined ? {} : { source }) },
          { idempotencyKey: idempotencyKeyFor('create_lead', bundle) },
        );
      }),
    sample: leadSample,
    outputFields: leadOutputFields,
  },
};
