/** The small pure helpers the operations lean on. */
import { describe, expect, it } from 'vitest';
import { REQUEST_TIMEOUT_MS, clientFor } from '../src/client.ts';
import { canonicalJson, idempotencyKeyFor } from '../src/idempotency.ts';
import { LIST_LIMIT, POLL_LIMIT, pollLimit, typesFor, unprefixHeaders } from '../src/triggers/event-trigger.ts';
import { dataOutputFields } from '../src/samples.ts';

describe('unprefixHeaders', () => {
  it('undoes Zapier\'s Http- renaming (and the CGI-style HTTP_ form), keeps plain names', () => {
    expect(
      unprefixHeaders({ 'Http-X-Webhook-Signature': 'v1=ab', HTTP_X_WEBHOOK_TIMESTAMP: '1', 'Content-Type': 'application/json', Empty: undefined }),
    ).toEqual({ 'x-webhook-signature': 'v1=ab', 'x-webhook-timestamp': '1', 'content-type': 'application/json' });
    expect(unprefixHeaders(undefined)).toEqual({});
  });
});

describe('typesFor', () => {
  it('prefers fixed types, then the input (list or comma text), de-duplicated; none means all', () => {
    expect(typesFor({ types: ['invoice.paid'] }, { inputData: { event_types: ['lead.created'] } } as never)).toEqual(['invoice.paid']);
    expect(typesFor({}, { inputData: { event_types: ['lead.created', ' lead.created ', ''] } } as never)).toEqual(['lead.created']);
    expect(typesFor({}, { inputData: { event_types: 'lead.created, invoice.paid' } } as never)).toEqual(['lead.created', 'invoice.paid']);
    expect(typesFor({}, { inputData: {} } as never)).toEqual([]);
  });
});

describe('idempotency keys', () => {
  it('hash key-order-independent input per Zap and action; none without a Zap', () => {
    expect(canonicalJson({ b: 1, a: [{ d: 2, c: null }] })).toBe('{"a":[{"c":null,"d":2}],"b":1}');
    const bundle = (input: object, zap?: string) => ({ inputData: input, ...(zap ? { meta: { zap: { id: zap } } } : {}) }) as never;
    const key = idempotencyKeyFor('add_note', bundle({ a: 1, b: 2 }, 'z1'));
    expect(key).toBe(idempotencyKeyFor('add_note', bundle({ b: 2, a: 1 }, 'z1')));
    expect(key).not.toBe(idempotencyKeyFor('create_lead', bundle({ a: 1, b: 2 }, 'z1')));
    expect(key).not.toBe(idempotencyKeyFor('add_note', bundle({ a: 1, b: 2 }, 'z2')));
    expect(idempotencyKeyFor('add_note', bundle({ a: 1 }))).toBeUndefined();
  });
});

describe('connection settings', () => {
  const client = (authData: object) => clientFor({ request: () => undefined } as never, { authData } as never);

  it('falls back to the default preset for a blank or unknown one', () => {
    expect(client({ baseUrl: 'https://api.example.com', apiKey: 'k_live_1', preset: 'partner' }).config.preset.name).toBe('partner');
    expect(client({ baseUrl: 'https://api.example.com', apiKey: 'k_live_1', preset: '' }).config.preset.name).toBe('integration');
    expect(client({ baseUrl: 'https://api.example.com', apiKey: 'k_live_1', preset: 'nope' }).config.preset.name).toBe('integration');
  });

  it('accepts the origin or the full base URL, and calls the variant\'s path once', () => {
    for (const baseUrl of ['https://api.example.com', 'https://api.example.com/', 'https://api.example.com/api/v1', 'https://api.example.com/api/v1/']) {
      expect(client({ baseUrl, apiKey: 'k_live_1' }).api.url('/me')).toBe('https://api.example.com/api/v1/me');
    }
    expect(client({ baseUrl: 'https://api.example.com/api/v1/partner', apiKey: 'k_live_1', preset: 'partner' }).api.url('/me')).toBe('https://api.example.com/api/v1/partner/me');
  });

  it('gives up on a request well inside Zapier\'s 30 s per call', () => {
    expect(REQUEST_TIMEOUT_MS).toBeLessThanOrEqual(20_000);
    expect(client({ baseUrl: 'https://api.example.com', apiKey: 'k_live_1' }).config.timeoutMs).toBe(REQUEST_TIMEOUT_MS);
  });
});

describe('pollLimit', () => {
  it('follows bundle.meta: three for samples, a full page to fill the dedupe list, meta.limit or 50 otherwise', () => {
    expect(pollLimit({ isLoadingSample: true, limit: 100 })).toBe(LIST_LIMIT);
    expect(pollLimit({ isPopulatingDedupe: true, limit: -1 })).toBe(100);
    expect(pollLimit({ limit: 20 })).toBe(20);
    expect(pollLimit({ limit: 500 })).toBe(100);
    expect(pollLimit({ limit: -1 })).toBe(POLL_LIMIT);
    expect(pollLimit(undefined)).toBe(POLL_LIMIT);
  });
});

describe('dataOutputFields', () => {
  it('labels the payload fields of the chosen types as data__<key>, each once; every type\'s when none', () => {
    expect(dataOutputFields(['invoice.paid'])).toEqual([
      { key: 'data__invoice_id', label: 'Invoice ID' },
      { key: 'data__customer_id', label: 'Customer ID' },
      { key: 'data__amount_cents', label: 'Amount (Cents)', type: 'integer' },
      { key: 'data__currency', label: 'Currency' },
    ]);
    const both = dataOutputFields(['customer.created', 'lead.created']).map((field) => field.key);
    expect(both).toEqual(['data__customer_id', 'data__email', 'data__name', 'data__lead_id', 'data__source']);
    const all = dataOutputFields([]).map((field) => field.key);
    expect(all).toContain('data__payment_id');
    expect(new Set(all).size).toBe(all.length);
    expect(dataOutputFields(['*'])).toEqual(dataOutputFields([]));
  });
});
