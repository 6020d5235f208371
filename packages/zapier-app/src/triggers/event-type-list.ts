/** Hidden trigger behind the "Event Types" dropdowns: the ten v1 types, no API call. */
import type { Bundle, ZObject } from 'zapier-platform-core';
import { eventTypeChoices } from '../samples.js';

export const eventTypeList = {
  key: 'event_type_list',
  noun: 'Event Type',
  display: {
    label: 'List Event Types',
    description: 'Triggers when a list of event types is needed for a dropdown.',
    hidden: true,
  },
  operation: {
    perform: async (_z: ZObject, _bundle: Bundle) => eventTypeChoices.map((choice) => ({ ...choice })),
    sample: { id: 'customer.created', name: 'Customer Created' },
    outputFields: [
      { key: 'id', label: 'Event Type' },
      { key: 'name', label: 'Name' },
    ],
  },
};
