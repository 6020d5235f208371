/** What actions create, through the client against the sandbox over sockets. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidInputError, NotFoundError, ValidationError } from '@eventsync/core';
import { createNodeClient, type NodeClient } from '@eventsync/core/node';
import { startSandbox, type Sandbox } from '@eventsync/sandbox';

let sandbox: Sandbox;
let client: NodeClient;
beforeAll(async () => {
  sandbox = await startSandbox({ seed: 31, visibilityLagMs: 0, policies: false });
  client = createNodeClient({ baseUrl: sandbox.url, apiKey: sandbox.apiKey, policies: { read: 'read:100000/1m', write: 'write:100000/1m' } });
});
afterAll(async () => {
  client.close();
  await sandbox.stop();
});

function typesEmitted(): string[] {
  return sandbox.events().map((event) => event.type);
}

describe('records', () => {
  it('creates, updates, reads and finds a customer, and each write emits its event', async () => {
    const before = typesEmitted().length;
    const customer = await client.records.createCustomer({ email: 'ada@example.com', name: 'Ada' });
    const updated = await client.records.updateCustomer(customer.id, { phone: '+44 20 7946 0000' });
    expect(updated).toMatchObject({ id: customer.id, phone: '+44 20 7946 0000' });
    expect(await client.records.getCustomer(customer.id)).toMatchObject({ email: 'ada@example.com', name: 'Ada' });
    expect((await client.records.findCustomersByEmail('ADA@example.com')).map((found) => found.id)).toEqual([customer.id]);
    const note = await client.records.addNote(customer.id, 'Prefers mornings');
    expect(note).toMatchObject({ customer_id: customer.id, body: 'Prefers mornings' });
    expect(typesEmitted().slice(before)).toEqual(['customer.created', 'customer.updated', 'note.created']);
  });

  it('creates a lead', async () => {
    const lead = await client.records.createLead({ email: 'grace@example.com', name: 'Grace', source: 'web' });
    expect(lead.id).toMatch(/^lead_/);
    expect(typesEmitted().at(-1)).toBe('lead.created');
  });

  it('makes a repeated create with the same Idempotency-Key a no-op', async () => {
    const before = typesEmitted().length;
    const first = await client.records.createCustomer({ email: 'once@example.com', name: 'Once' }, { idempotencyKey: 'zap-run-42' });
    const again = await client.records.createCustomer({ email: 'once@example.com', name: 'Once' }, { idempotencyKey: 'zap-run-42' });
    expect(again.id).toBe(first.id);
    expect(await client.records.findCustomersByEmail('once@example.com')).toHaveLength(1);
    expect(typesEmitted().length - before).toBe(1);
  });

  it('batch-creates up to 100 customers, and refuses 101 before sending anything', async () => {
    const batch = Array.from({ length: 100 }, (_, i) => ({ email: `batch${i}@example.com`, name: `Batch ${i}` }));
    expect(await client.records.batchCreateCustomers(batch)).toHaveLength(100);
    const requestsBefore = sandbox.requests.length;
    const error = await client.records.batchCreateCustomers([...batch, { email: 'x@example.com', name: 'X' }]).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as InvalidInputError).field).toBe('customers');
    expect(sandbox.requests.length).toBe(requestsBefore);
  });

  it('names the bad field: locally for a missing one, from the API for an invalid one', async () => {
    await expect(client.records.createCustomer({ email: '', name: 'No Email' })).rejects.toMatchObject({ field: 'email' });
    const error = await client.records.createCustomer({ email: 'not-an-email', name: 'X' }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).field).toBe('email');
    expect((error as ValidationError).message).toContain('not an email address');
  });

  it('reports an unknown customer as NotFoundError', async () => {
    await expect(client.records.getCustomer('cus_nope')).rejects.toBeInstanceOf(NotFoundError);
  });
});
