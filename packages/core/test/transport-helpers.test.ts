import { describe, expect, it } from 'vitest';
import { lowerCaseHeaders, networkFailureOf } from '@eventsync/core';

describe('transport helpers shared by every host', () => {
  it('lower-cases fetch Headers and plain objects, joining repeated values', () => {
    expect(lowerCaseHeaders(new Headers({ 'Retry-After': '3', 'X-Request-Id': 'r1' }))).toEqual({ 'retry-after': '3', 'x-request-id': 'r1' });
    expect(lowerCaseHeaders({ 'Set-Cookie': ['a', 'b'], X: 1, Gone: undefined })).toEqual({ 'set-cookie': 'a, b', x: '1' });
    expect(lowerCaseHeaders(undefined)).toEqual({});
  });

  it.each([
    [Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }), 'refused'],
    [new Error('getaddrinfo ENOTFOUND api.example.invalid'), 'dns'],
    [Object.assign(new Error('fetch failed'), { cause: { code: 'EAI_AGAIN' } }), 'dns'],
    [new Error('socket hang up'), 'reset'],
    [Object.assign(new Error('timeout of 30000ms exceeded'), { code: 'ECONNABORTED' }), 'timeout'],
    [new Error('network timeout at: https://x'), 'timeout'],
    ['weird', 'other'],
  ] as const)('reads %s as %s', (thrown, failure) => {
    expect(networkFailureOf(thrown)).toBe(failure);
  });
});
