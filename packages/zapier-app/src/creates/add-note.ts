import type { Bundle, ZObject } from 'zapier-platform-core';
import { withClient } from '../client.js';
import { idempotencyKeyFor } from '../idempotency.js';
import { noteOutputFields, noteSample } from '../samples.js';
import { customerIdField, text } from './fields.js';

export const addNote = {
  key: 'add_note',
  noun: 'Note',
  display: { label: 'Add Note', description: 'Adds a note to a customer in Eventsync.' },
  operation: {
    inputFields: [customerIdField, { key: 'body', label: 'Note', required: true, type: 'text' as const, helpText: 'The text of the note.' }],
    perform: (z: ZObject, bundle: Bundle) =>
      withClient(z, bundle, (client) => {
        const input = bundle.inputData as Record<string, unknown>;
        return client.records.addNote(text(input.customer_id), text(input.body), { idempotencyKey: idempotencyKeyFor('add_note', bundle) });
      }),
    sample: noteSample,
    outputFields: noteOutputFields,
  },
};
