/** The small pure helpers the operations lean on. */
import { describe, expect, it } from 'vitest';
import { presetOf } from '../src/client.ts';
import { canonicalJson, idempotencyKeyFor } from '../src/idempotency.ts';
import { typesFor, unprefixHeaders } from '../src/triggers/event-trigger.ts';

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
  it('falls back to the default preset for a blank or unknown one', () => {
    expect(presetOf({ preset: 'partner' })).toBe('partner');
    expect(presetOf({ preset: '' })).toBe('integration');
    expect(presetOf({ preset: 'nope' })).toBe('integration');
  });
});
