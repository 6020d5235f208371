/**
 * Records (docs/api-contract.md, Records): what n8n/Zapier actions create. Each write emits
 * its event through the same path as generated events, so it reaches the feed with a
 * realistic commit delay.
 */
import { BATCH_MAX, PAGE_LIMIT_DEFAULT, PAGE_LIMIT_MAX, type Customer, type Lead, type Note } from '@eventsync/core';
import { decodeCursor, encodeCursor } from '../cursor.js';
import { invalidParameter, notFound } from '../errors.js';
import type { RequestContext, Route } from '../router.js';
import type { SandboxState } from '../state.js';
import { isoTime } from '../time.js';

const CURSOR_LIST = 'customers';
const MAX_TEXT = 500;
const MAX_NOTE = 10_000;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Each handler works on the records of the caller's tenant. */
export function recordRoutes(): Route[] {
  const write = { scope: 'records:write', idempotent: true } as const;
  return [
    { method: 'POST', path: '/leads', ...write, handle: (c) => createLead(c.tenant.state, c) },
    { method: 'POST', path: '/customers', ...write, handle: (c) => ({ status: 201, body: createCustomer(c.tenant.state, c.body(), '', c.now) }) },
    { method: 'POST', path: '/customers/batch', ...write, handle: (c) => createBatch(c.tenant.state, c) },
    { method: 'GET', path: '/customers', handle: (c) => searchCustomers(c.tenant.state, c) },
    { method: 'GET', path: '/customers/:id', handle: (c) => ({ status: 200, body: findCustomer(c.tenant.state, c.params.id!) }) },
    { method: 'PATCH', path: '/customers/:id', scope: 'records:write', handle: (c) => updateCustomer(c.tenant.state, c) },
    { method: 'POST', path: '/customers/:id/notes', ...write, handle: (c) => createNote(c.tenant.state, c) },
  ];
}

function createLead(state: SandboxState, { body, now }: RequestContext) {
  const input = body();
  const lead: Lead = {
    id: state.factory.id('lead_', now),
    email: email(input, ''),
    name: text(input, 'name', ''),
    source: optionalText(input, 'source', ''),
    created_at: isoTime(now),
  };
  state.records.addLead(lead);
  state.createEvent('lead.created', { lead_id: lead.id, email: lead.email, name: lead.name, source: lead.source }, { createdMs: now });
  return { status: 201, body: lead };
}

/** Validates and creates one customer; `path` prefixes field names inside a batch (`customers[3].`). */
function createCustomer(state: SandboxState, input: Record<string, unknown>, path: string, now: number): Customer {
  const customer = customerFrom(state, input, path, now);
  commitCustomer(state, customer, now);
  return customer;
}

function customerFrom(state: SandboxState, input: Record<string, unknown>, path: string, now: number): Customer {
  const created = isoTime(now);
  return {
    id: state.factory.id('cus_', now),
    email: email(input, path),
    name: text(input, 'name', path),
    phone: optionalText(input, 'phone', path),
    created_at: created,
    updated_at: created,
  };
}

function commitCustomer(state: SandboxState, customer: Customer, now: number): void {
  state.records.addCustomer(customer);
  state.createEvent('customer.created', { customer_id: customer.id, email: customer.email, name: customer.name }, { createdMs: now });
}

function createBatch(state: SandboxState, { body, now }: RequestContext) {
  const list = body().customers;
  if (!Array.isArray(list) || list.length === 0) {
    throw invalidParameter('customers', 'customers must be a non-empty array of { email, name, phone? }');
  }
  if (list.length > BATCH_MAX) {
    throw invalidParameter('customers', `a batch holds at most ${BATCH_MAX} customers; got ${list.length}: split it into several requests`);
  }
  // All or nothing: validate every entry before creating any.
  const customers = list.map((entry, index) => customerFrom(state, asObject(entry, `customers[${index}]`), `customers[${index}].`, now));
  for (const customer of customers) commitCustomer(state, customer, now);
  return { status: 201, body: { data: customers } };
}

function findCustomer(state: SandboxState, id: string): Customer {
  const customer = state.records.getCustomer(id);
  if (!customer) throw notFound(`no customer with id ${id}`);
  return customer;
}

function updateCustomer(state: SandboxState, { body, params, now }: RequestContext) {
  const input = body();
  const current = findCustomer(state, params.id!);
  const next: { -readonly [K in keyof Customer]: Customer[K] } = { ...current };
  if (input.email !== undefined) next.email = email(input, '');
  if (input.name !== undefined) next.name = text(input, 'name', '');
  if (input.phone !== undefined) next.phone = optionalText(input, 'phone', '');
  const changed = (['email', 'name', 'phone'] as const).filter((field) => next[field] !== current[field]);
  // A PATCH that changes nothing is answered but is not an event: nothing happened.
  if (changed.length === 0) return { status: 200, body: current };
  next.updated_at = isoTime(now);
  state.records.replaceCustomer(next);
  state.createEvent(
    'customer.updated',
    { customer_id: next.id, email: next.email, name: next.name, changed },
    { createdMs: now },
  );
  return { status: 200, body: next };
}

function searchCustomers(state: SandboxState, { query }: RequestContext) {
  const emailText = query.get('email') || undefined;
  const limitText = query.get('limit');
  let limit: number | undefined;
  if (limitText !== null && limitText !== '') {
    limit = /^\d{1,4}$/.test(limitText) ? Number(limitText) : NaN;
    if (!(limit >= 1 && limit <= PAGE_LIMIT_MAX)) {
      throw invalidParameter('limit', `limit must be a whole number from 1 to ${PAGE_LIMIT_MAX}; got "${limitText}"`);
    }
  }
  let after = -1;
  let email = emailText;
  const cursorText = query.get('cursor');
  if (cursorText) {
    const { e, a, l } = decodeCursor(CURSOR_LIST, cursorText);
    if (!(e === null || typeof e === 'string') || !Number.isInteger(a) || !Number.isInteger(l)) {
      throw invalidParameter('cursor', 'cursor is damaged: pass next_cursor from the previous page unchanged');
    }
    if (emailText !== undefined && emailText.toLowerCase() !== (e ?? '').toLowerCase()) {
      throw invalidParameter('cursor', 'this cursor was issued for another email; send the same email with it or leave email out');
    }
    email = e ?? undefined;
    after = a as number;
    limit ??= l as number;
  }
  limit ??= PAGE_LIMIT_DEFAULT;
  const page = state.records.findCustomers(email, after, limit);
  const next = page.nextAfter === undefined ? null : encodeCursor(CURSOR_LIST, { e: email ?? null, a: page.nextAfter, l: limit });
  return { status: 200, body: { data: page.items, has_more: next !== null, next_cursor: next } };
}

function createNote(state: SandboxState, { body, params, now }: RequestContext) {
  const input = body();
  const customer = findCustomer(state, params.id!);
  const noteBody = text(input, 'body', '', MAX_NOTE);
  const note: Note = { id: state.factory.id('note_', now), customer_id: customer.id, body: noteBody, created_at: isoTime(now) };
  state.records.addNote(note);
  state.createEvent('note.created', { note_id: note.id, customer_id: note.customer_id, body: note.body }, { createdMs: now });
  return { status: 201, body: note };
}

function asObject(value: unknown, field: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalidParameter(field, `${field} must be an object`);
  }
  return value as Record<string, unknown>;
}

function text(input: Record<string, unknown>, name: string, path: string, max = MAX_TEXT): string {
  const value = input[name];
  const field = `${path}${name}`;
  if (value === undefined || value === null) throw invalidParameter(field, `${field} is required`);
  if (typeof value !== 'string') throw invalidParameter(field, `${field} must be a string`);
  const trimmed = value.trim();
  if (trimmed === '') throw invalidParameter(field, `${field} must not be empty`);
  if (trimmed.length > max) throw invalidParameter(field, `${field} is longer than ${max} characters`);
  return trimmed;
}

function email(input: Record<string, unknown>, path: string): string {
  const value = text(input, 'email', path, 254);
  if (!EMAIL.test(value)) throw invalidParameter(`${path}email`, `${path}email "${value}" is not an email address`);
  return value;
}

function optionalText(input: Record<string, unknown>, name: string, path: string): string | null {
  const value = input[name];
  if (value === undefined || value === null) return null;
  if (typeof value === 'string' && value.trim() === '') return null;
  return text(input, name, path);
}
