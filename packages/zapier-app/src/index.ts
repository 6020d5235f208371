/** The Zapier app definition: wiring only. */
import zapier, { defineApp } from 'zapier-platform-core';
import packageJson from '../package.json' with { type: 'json' };
import { authentication } from './authentication.js';
import { addNote, createCustomer, createLead, updateCustomer } from './creates/index.js';
import { findCustomer, findOrCreateCustomer } from './searches/find-customer.js';
import { appointmentScheduled, eventTypeList, invoicePaid, newCustomer, newEvent, newEventInstant } from './triggers/index.js';

const triggers = [newEventInstant, newEvent, newCustomer, appointmentScheduled, invoicePaid, eventTypeList];
const creates = [createLead, createCustomer, updateCustomer, addNote];
const searches = [findCustomer];

export default defineApp({
  version: packageJson.version,
  platformVersion: zapier.version,
  flags: {
    // The core turns statuses into typed errors and reads 429s itself (Retry-After, policy).
    skipThrowForStatus: true,
    throwForThrottlingEarly: false,
  },
  authentication,
  triggers: Object.fromEntries(triggers.map((trigger) => [trigger.key, trigger])),
  creates: Object.fromEntries(creates.map((create) => [create.key, create])),
  searches: Object.fromEntries(searches.map((search) => [search.key, search])),
  searchOrCreates: { [findOrCreateCustomer.key]: findOrCreateCustomer },
});
