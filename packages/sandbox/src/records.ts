/**
 * Customers, leads and notes: just enough of a CRM for actions to create records and for
 * searches to find them. Customers keep a creation sequence number so that paging stays
 * stable when a customer's email (and so its place in the email index) changes.
 */
import type { Customer, Lead, Note } from '@eventsync/core';

interface CustomerRow {
  readonly seq: number;
  customer: Customer;
}

export interface CustomerPage {
  readonly items: Customer[];
  /** Sequence number of the last item, for the next cursor; undefined when there is no next page. */
  readonly nextAfter: number | undefined;
}

export class RecordStore {
  private readonly customers = new Map<string, CustomerRow>();
  private readonly ordered: CustomerRow[] = [];
  private readonly byEmail = new Map<string, CustomerRow[]>();
  private readonly leads = new Map<string, Lead>();
  private readonly notes = new Map<string, Note>();

  get counts(): { customers: number; leads: number; notes: number } {
    return { customers: this.customers.size, leads: this.leads.size, notes: this.notes.size };
  }

  addCustomer(customer: Customer): void {
    const row: CustomerRow = { seq: this.ordered.length, customer };
    this.customers.set(customer.id, row);
    this.ordered.push(row);
    this.indexEmail(row);
  }

  getCustomer(id: string): Customer | undefined {
    return this.customers.get(id)?.customer;
  }

  replaceCustomer(customer: Customer): void {
    const row = this.customers.get(customer.id);
    if (!row) throw new Error(`no customer ${customer.id}`);
    if (emailKey(row.customer.email) !== emailKey(customer.email)) {
      this.unindexEmail(row);
      row.customer = customer;
      this.indexEmail(row);
    } else {
      row.customer = customer;
    }
  }

  /** Customers in creation order, optionally with this email (case-insensitive), after sequence `after`. */
  findCustomers(email: string | undefined, after: number, limit: number): CustomerPage {
    const rows = email === undefined ? this.ordered : (this.byEmail.get(emailKey(email)) ?? []);
    let start = firstAfter(rows, after);
    const items: Customer[] = [];
    while (start < rows.length && items.length < limit) items.push(rows[start++]!.customer);
    const last = rows[start - 1];
    return { items, nextAfter: start < rows.length && last ? last.seq : undefined };
  }

  addLead(lead: Lead): void {
    this.leads.set(lead.id, lead);
  }

  addNote(note: Note): void {
    this.notes.set(note.id, note);
  }

  private indexEmail(row: CustomerRow): void {
    const key = emailKey(row.customer.email);
    const rows = this.byEmail.get(key);
    if (!rows) {
      this.byEmail.set(key, [row]);
      return;
    }
    rows.splice(firstAfter(rows, row.seq), 0, row);
  }

  private unindexEmail(row: CustomerRow): void {
    const key = emailKey(row.customer.email);
    const rows = this.byEmail.get(key);
    if (!rows) return;
    const index = rows.indexOf(row);
    if (index >= 0) rows.splice(index, 1);
    if (rows.length === 0) this.byEmail.delete(key);
  }
}

/** Emails match case-insensitively: mailbox providers treat them so, and users type them so. */
function emailKey(email: string): string {
  return email.trim().toLowerCase();
}

/** First index whose seq is greater than `after` (rows sorted by seq). */
function firstAfter(rows: readonly CustomerRow[], after: number): number {
  let low = 0;
  let high = rows.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (rows[mid]!.seq <= after) low = mid + 1;
    else high = mid;
  }
  return low;
}
