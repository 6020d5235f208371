import type { Bundle, ZObject } from 'zapier-platform-core';
import { withClient } from '../client.js';
import { idempotencyKeyFor } from '../idempotency.js';
import { customerOutputFields, customerSample } from '../samples.js';
import { emailField, nameField, optionalText, phoneField, text } from './fields.js';

export const createCustomer = {
  key: 'create_customer',
  noun: 'Customer',
  display: { label: 'Create Customer', description: 'Creates a new customer in Eventsync.' },
  operation: {
    inputFields: [emailField, nameField, phoneField],
    perform: (z: ZObject, bundle: Bundle) =>
      withClient(z, bundle, (client) => {
        const input = bundle.inputData as Record<string, unknown>;
        const phone = optionalText(input.phone);
        return client.records.createCustomer(
          { email: text(input.email), name: text(input.name), ...(phone === undefined ? {} : { phone }) },
          { idempotencyKey: idempotencyKeyFor('create_customer', bundle) },
        );
      }),
    sample: customerSample,
    outputFields: customerOutputFields,
  },
};
