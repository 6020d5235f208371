/** Every trigger of the app, built by one factory. */
import { appointmentScheduledSample, customerCreatedSample, genericEventSample, invoicePaidSample } from '../samples.js';
import { makeEventTrigger } from './event-trigger.js';

export { eventTypeList } from './event-type-list.js';

export const newEventInstant = makeEventTrigger({
  key: 'new_event_instant',
  noun: 'Event',
  label: 'New Event (Instant)',
  description: 'Triggers when an event of the chosen types happens in Eventsync (instantly, by webhook).',
  mode: 'hook',
  sample: genericEventSample,
});

export const newEvent = makeEventTrigger({
  key: 'new_event',
  noun: 'Event',
  label: 'New Event',
  description: 'Triggers when an event of the chosen types appears in the Eventsync feed (checked every few minutes).',
  mode: 'polling',
  sample: genericEventSample,
});

export const newCustomer = makeEventTrigger({
  key: 'new_customer',
  noun: 'Customer',
  label: 'New Customer',
  description: 'Triggers when a new customer is created in Eventsync.',
  mode: 'hook',
  types: ['customer.created'],
  sample: customerCreatedSample,
});

export const appointmentScheduled = makeEventTrigger({
  key: 'appointment_scheduled',
  noun: 'Appointment',
  label: 'Appointment Scheduled',
  description: 'Triggers when an appointment is scheduled in Eventsync.',
  mode: 'hook',
  types: ['appointment.scheduled'],
  sample: appointmentScheduledSample,
});

export const invoicePaid = makeEventTrigger({
  key: 'invoice_paid',
  noun: 'Invoice',
  label: 'Invoice Paid',
  description: 'Triggers when an invoice is paid in Eventsync.',
  mode: 'hook',
  types: ['invoice.paid'],
  sample: invoicePaidSample,
});
