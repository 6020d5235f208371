/**
 * What actions create (docs/api-contract.md, Records). Every POST carries an
 * Idempotency-Key, generated unless the caller passes one, so that a retried create never
 * makes a second record.
 */
import type { ApiClient } from './client.js';
import { BATCH_MAX, PAGE_LIMIT_MAX } from './config.js';
import { InvalidInputError } from './errors.js';
import type { BatchResult, Customer, CustomerInput, CustomerPatch, Lead, LeadInput, Note, Page } from './types.js';

export interface WriteOptions {
  /** Reuse the same key to make a repeated call (a retried Zap step, a re-run workflow) a no-op. */
  readonly idempotencyKey?: string;
}

export class Records {
  constructor(private readonly api: ApiClient) {}

  // Every method is async, so bad input arrives as a rejection like every other failure.
  async createLead(input: LeadInput, options: WriteOptions = {}): Promise<Lead> {
    requireText(input, ['email', 'name']);
    return this.api.request<Lead>({ method: 'POST', path: '/leads', body: input, ...options });
  }

  async createCustomer(input: CustomerInput, options: WriteOptions = {}): Promise<Customer> {
    requireText(input, ['email', 'name']);
    return this.api.request<Customer>({ method: 'POST', path: '/customers', body: input, ...options });
  }

  async updateCustomer(id: string, patch: CustomerPatch, options: WriteOptions = {}): Promise<Customer> {
    if (Object.keys(patch).length === 0) throw new InvalidInputError('an update needs at least one field to change', 'patch');
    return this.api.request<Customer>({ method: 'PATCH', path: `/customers/${pathId(id, 'id')}`, body: patch, ...options });
  }

  async getCustomer(id: string): Promise<Customer> {
    return this.api.request<Customer>({ method: 'GET', path: `/customers/${pathId(id, 'id')}` });
  }

  /** Customers whose email is exactly `email`, across every page of the search. */
  async findCustomersByEmail(email: string, options: { readonly limit?: number } = {}): Promise<Customer[]> {
    requireText({ email }, ['email']);
    const found: Customer[] = [];
    let cursor: string | null = null;
    do {
      const page: Page<Customer> = await this.api.request<Page<Customer>>({
        method: 'GET',
        path: '/customers',
        query: cursor ? { cursor } : { email, limit: options.limit ?? PAGE_LIMIT_MAX },
      });
      found.push(...page.data);
      cursor = page.has_more ? page.next_cursor : null;
    } while (cursor && (options.limit === undefined || found.length < options.limit));
    return options.limit === undefined ? found : found.slice(0, options.limit);
  }

  async addNote(customerId: string, body: string, options: WriteOptions = {}): Promise<Note> {
    requireText({ body }, ['body']);
    return this.api.request<Note>({ method: 'POST', path: `/customers/${pathId(customerId, 'customerId')}/notes`, body: { body }, ...options });
  }

  /** Up to 100 customers in one write request (`POST /customers/batch`). */
  async batchCreateCustomers(customers: readonly CustomerInput[], options: WriteOptions = {}): Promise<Customer[]> {
    if (customers.length === 0 || customers.length > BATCH_MAX) {
      throw new InvalidInputError(`a batch holds 1 to ${BATCH_MAX} customers, got ${customers.length}; split it`, 'customers');
    }
    customers.forEach((customer, index) => requireText(customer, ['email', 'name'], `customers[${index}].`));
    const result = await this.api.request<BatchResult>({ method: 'POST', path: '/customers/batch', body: { customers }, ...options });
    return result.data;
  }
}

function requireText(input: object, fields: readonly string[], prefix = ''): void {
  for (const field of fields) {
    const value = (input as Record<string, unknown>)[field];
    if (typeof value !== 'string' || value.trim() === '') {
      throw new InvalidInputError(`${prefix}${field} is required and must be non-empty text`, `${prefix}${field}`);
    }
  }
}

function pathId(id: string, field: string): string {
  if (typeof id !== 'string' || id.trim() === '') throw new InvalidInputError(`${field} is required`, field);
  return encodeURIComponent(id);
}
