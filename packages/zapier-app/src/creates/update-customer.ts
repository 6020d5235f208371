import type { CustomerPatch } from '@eventsync/core';
import type { Bundle, ZObject } from 'zapier-platform-core';
import { idempotencyKeyFor } from '../idempotency.js';
import { withClient } from '../client.js';
import { customerOutputFields, customerSample } from '../samples.js';
import { customerIdField, optionalText, phoneField, text } from './fields.js';

/** Only the fields the user filled in are sent; blank means "leave as is". Like the creates, a retried step reuses its Idempotency-Key. */
export const updateCustomer = {
  key: 'update_customer',
  noun: 'Customer',
  display: { label: 'Update Customer', description: 'Updates an existing customer in Eventsync; blank fields are left unchanged.' },
  operation: {
    inputFields: [
      customerIdField,
      { key: 'email', label: 'Email', required: false, helpText: 'New email address; leave blank to keep the current one.' },
      { key: 'name', label: 'Name', required: false, helpText: 'New name; leave blank to keep the current one.' },
      { ...phoneField, helpText: 'New phone number; leave blank to keep the current one.' },
    ],
    perform: (z: ZObject, bundle: Bundle) =>
      withClient(z, bundle, (client) => {
        const input = bundle.inputData as Record<string, unknown>;
        const patch: Record<string, string> = {};
        for (const field of ['email', 'name', 'phone'] as const) {
          const value = optionalText(input[field]);
          if (value !== undefined) patch[field] = value;
        }
        const idempotencyKey = idempotencyKeyFor('update_customer', bundle);
        return client.records.updateCustomer(text(input.customer_id), patch as CustomerPatch, idempotencyKey ? { idempotencyKey } : {});
      }),
    sample: customerSample,
    outputFields: customerOutputFields,
  },
};
