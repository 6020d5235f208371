/**
 * Samples and output fields, side by side so that they cannot drift: the metadata test
 * checks that every output field key appears in its sample.
 */
import { EVENT_DATA_FIELDS, EVENT_TYPES, isEventType, type EventDataField } from '@eventsync/core';

export interface OutputField {
  readonly key: string;
  readonly label: string;
  readonly type?: 'string' | 'integer' | 'number' | 'boolean' | 'datetime';
}

/** The event envelope, exactly as a webhook delivers it and the feed lists it. */
export const eventOutputFields: OutputField[] = [
  { key: 'id', label: 'Event ID' },
  { key: 'type', label: 'Event Type' },
  { key: 'created_at', label: 'Created At', type: 'datetime' },
];

function dataField(field: EventDataField): OutputField {
  const type = field.kind === 'money' ? 'integer' : field.kind === 'datetime' ? 'datetime' : undefined;
  // Zapier names nested keys with `__`: `data__email` is the event's `data.email`.
  return { key: `data__${field.key}`, label: field.label, ...(type ? { type } : {}) };
}

/** The payload fields the given event types carry (every type's when none are given), labelled, each once. */
export function dataOutputFields(types: readonly string[]): OutputField[] {
  const chosen = types.filter(isEventType);
  const fields = new Map<string, OutputField>();
  for (const type of chosen.length > 0 ? chosen : EVENT_TYPES) for (const field of EVENT_DATA_FIELDS[type]) if (!fields.has(field.key)) fields.set(field.key, dataField(field));
  return [...fields.values()];
}

export function eventSample(type: string, data: Record<string, unknown>) {
  return { id: 'evt_01JQZ7X4M2V3K9C8B6N5T4R3E2', type, created_at: '2026-04-03T09:15:00.000Z', data };
}

export const genericEventSample = eventSample('customer.created', {
  customer_id: 'cus_01JQZ7X4M2V3K9C8B6N5T4R3E1',
  email: 'ada@example.com',
  name: 'Ada Lovelace',
});

export const customerCreatedSample = genericEventSample;

export const appointmentScheduledSample = eventSample('appointment.scheduled', {
  appointment_id: 'appt_01JQZ7X4M2V3K9C8B6N5T4R3E3',
  customer_id: 'cus_01JQZ7X4M2V3K9C8B6N5T4R3E1',
  service: 'inspection',
  starts_at: '2026-04-10T14:00:00.000Z',
});

export const invoicePaidSample = eventSample('invoice.paid', {
  invoice_id: 'inv_01JQZ7X4M2V3K9C8B6N5T4R3E4',
  customer_id: 'cus_01JQZ7X4M2V3K9C8B6N5T4R3E1',
  amount_cents: 12000,
  currency: 'USD',
});

export const customerOutputFields: OutputField[] = [
  { key: 'id', label: 'Customer ID' },
  { key: 'email', label: 'Email' },
  { key: 'name', label: 'Name' },
  { key: 'phone', label: 'Phone' },
  { key: 'created_at', label: 'Created At', type: 'datetime' },
  { key: 'updated_at', label: 'Updated At', type: 'datetime' },
];

export const customerSample = {
  id: 'cus_01JQZ7X4M2V3K9C8B6N5T4R3E1',
  email: 'ada@example.com',
  name: 'Ada Lovelace',
  phone: '+44 20 7946 0000',
  created_at: '2026-04-03T09:15:00.000Z',
  updated_at: '2026-04-03T09:15:00.000Z',
};

export const leadOutputFields: OutputField[] = [
  { key: 'id', label: 'Lead ID' },
  { key: 'email', label: 'Email' },
  { key: 'name', label: 'Name' },
  { key: 'source', label: 'Source' },
  { key: 'created_at', label: 'Created At', type: 'datetime' },
];

export const leadSample = {
  id: 'lead_01JQZ7X4M2V3K9C8B6N5T4R3E5',
  email: 'grace@example.com',
  name: 'Grace Hopper',
  source: 'zapier',
  created_at: '2026-04-03T09:15:00.000Z',
};

export const noteOutputFields: OutputField[] = [
  { key: 'id', label: 'Note ID' },
  { key: 'customer_id', label: 'Customer ID' },
  { key: 'body', label: 'Body' },
  { key: 'created_at', label: 'Created At', type: 'datetime' },
];

export const noteSample = {
  id: 'note_01JQZ7X4M2V3K9C8B6N5T4R3E6',
  customer_id: 'cus_01JQZ7X4M2V3K9C8B6N5T4R3E1',
  body: 'Called back about the quote.',
  created_at: '2026-04-03T09:15:00.000Z',
};

/** `customer.created` -> `Customer Created`: the dropdown's labels. */
export function eventTypeLabel(type: string): string {
  return type
    .split(/[._]/)
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join(' ');
}

export const eventTypeChoices = EVENT_TYPES.map((type) => ({ id: type, name: eventTypeLabel(type) }));
