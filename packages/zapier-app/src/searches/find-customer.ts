import type { Bundle, ZObject } from 'zapier-platform-core';
import { withClient } from '../client.js';
import { emailField, text } from '../creates/fields.js';
import { customerOutputFields, customerSample } from '../samples.js';

/** Exact, case-insensitive email match; Zapier uses the first result. */
export const findCustomer = {
  key: 'find_customer',
  noun: 'Customer',
  display: { label: 'Find Customer', description: 'Finds a customer in Eventsync by email address.' },
  operation: {
    inputFields: [{ ...emailField, helpText: 'The exact email address to look for.' }],
    perform: (z: ZObject, bundle: Bundle) =>
      withClient(z, bundle, (client) => client.records.findCustomersByEmail(text((bundle.inputData as Record<string, unknown>).email), { limit: 10 })),
    sample: customerSample,
    outputFields: customerOutputFields,
  },
};

/** "Find Customer, or create one when none is found". Its key must be the search's key. */
export const findOrCreateCustomer = {
  key: 'find_customer',
  display: { label: 'Find or Create Customer', description: 'Finds a customer by email, or creates one if none exists.' },
  search: 'find_customer',
  create: 'create_customer',
};
