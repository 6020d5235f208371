/**
 * What each event type carries in its `data`: the field names and kinds the API sends, with
 * a label for people. The shells describe their outputs from this (Zapier's output fields,
 * n8n's output schemas); the sandbox's generator makes events of exactly these fields
 * (packages/sandbox/test/event-data.test.ts holds the two together).
 */
import type { EventType } from './config.js';

export interface EventDataField {
  readonly key: string;
  readonly label: string;
  /** `money` is an integer amount in the currency's minor unit (cents). */
  readonly kind: 'id' | 'text' | 'datetime' | 'money' | 'list';
}

const id = (key: string, label: string): EventDataField => ({ key, label, kind: 'id' });
const text = (key: string, label: string): EventDataField => ({ key, label, kind: 'text' });

const CUSTOMER_ID = id('customer_id', 'Customer ID');
const PERSON = [text('email', 'Email'), text('name', 'Name')];
const MONEY = [{ key: 'amount_cents', label: 'Amount (Cents)', kind: 'money' } as const, text('currency', 'Currency')];

export const EVENT_DATA_FIELDS: Readonly<Record<EventType, readonly EventDataField[]>> = {
  'lead.created': [id('lead_id', 'Lead ID'), ...PERSON, text('source', 'Source')],
  'customer.created': [CUSTOMER_ID, ...PERSON],
  'customer.updated': [CUSTOMER_ID, ...PERSON, { key: 'changed', label: 'Changed Fields', kind: 'list' }],
  'appointment.scheduled': [id('appointment_id', 'Appointment ID'), CUSTOMER_ID, text('service', 'Service'), { key: 'starts_at', label: 'Starts At', kind: 'datetime' }],
  'appointment.completed': [id('appointment_id', 'Appointment ID'), CUSTOMER_ID, text('service', 'Service')],
  'appointment.cancelled': [id('appointment_id', 'Appointment ID'), CUSTOMER_ID, text('reason', 'Reason')],
  'invoice.created': [id('invoice_id', 'Invoice ID'), CUSTOMER_ID, ...MONEY],
  'invoice.paid': [id('invoice_id', 'Invoice ID'), CUSTOMER_ID, ...MONEY],
  'payment.received': [id('payment_id', 'Payment ID'), id('invoice_id', 'Invoice ID'), CUSTOMER_ID, ...MONEY, text('method', 'Payment Method')],
  'note.created': [id('note_id', 'Note ID'), CUSTOMER_ID, text('body', 'Note')],
};
