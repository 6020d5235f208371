/**
 * verifyWebhook as JavaScript callers really call it: no types to stop them forgetting
 * `now`, passing `Date.now` instead of `Date.now()`, a parsed body or a fetch `Headers`.
 * Each careless call must end in a typed error naming the argument, or in a rejection,
 * never in an accepted delivery (the replay window of docs/api-contract.md, Signatures, included).
 */
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { InvalidInputError, PRESETS, SignatureError, deliveryHeaders, verifyWebhook } from '@eventsync/core';

const SECRET = 'whsec_' + Buffer.from('careless-caller-test-secret').toString('base64');
const settings = PRESETS.partner.signature;
const BODY = Buffer.from('{"id":"evt_1","type":"customer.created","created_at":"2026-04-03T09:15:00.000Z","data":{"name":"Zoë"}}');

function headersSigned(secondsAgo: number, body: Buffer = BODY): Record<string, string> {
  const timestamp = Math.floor(Date.now() / 1000) - secondsAgo;
  const headers = deliveryHeaders(settings, { secrets: [SECRET], body, timestamp, id: 'del_1', eventType: 'customer.created' });
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
}

/** A call as plain JavaScript makes it: any field may hold anything, or be missing. */
function verifyAsJs(fields: Record<string, unknown>): unknown {
  const input = { settings, rawBody: BODY, headers: headersSigned(0), secrets: SECRET, now: Date.now(), ...fields };
  return verifyWebhook(input as unknown as Parameters<typeof verifyWebhook>[0]);
}

function thrown(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  return undefined;
}

function invalidInput(run: () => unknown, field: string): InvalidInputError {
  const error = thrown(run);
  expect(error).toBeInstanceOf(InvalidInputError);
  const invalid = error as InvalidInputError;
  expect(invalid.field).toBe(field);
  expect(invalid.message).toContain(field);
  const shown = [invalid.message, JSON.stringify(invalid), inspect(invalid, { depth: 5 })].join('\n');
  expect(shown).not.toContain(SECRET.slice('whsec_'.length, 20));
  return invalid;
}

describe('the replay window when now is careless', () => {
  it('judges against the current time when now is left out: a delivery signed 10,000 s ago is refused', () => {
    const error = thrown(() => verifyAsJs({ now: undefined, headers: headersSigned(10_000) }));
    expect(error).toBeInstanceOf(SignatureError);
    expect((error as SignatureError).reason).toBe('timestamp_outside_window');
  });

  it('accepts a fresh delivery when now is left out', () => {
    const input = { settings, rawBody: BODY, headers: headersSigned(2), secrets: SECRET };
    expect(verifyWebhook(input).deliveryId).toBe('del_1');
  });

  it.each([
    ['a function (Date.now instead of Date.now())', Date.now, /Date\.now\(\)/],
    ['NaN', Number.NaN, /NaN/],
    ['Infinity', Number.POSITIVE_INFINITY, /Infinity/],
    ['a Date', new Date(), /getTime\(\)/],
    ['a numeric string', String(Date.now()), /string/],
    ['null', null, /null/],
  ])('refuses now given as %s, naming the parameter, even for a delivery signed 10,000 s ago', (_, now, hint) => {
    const error = invalidInput(() => verifyAsJs({ now, headers: headersSigned(10_000) }), 'now');
    expect(error.message).toMatch(hint);
  });

  it.each([
    ['NaN', Number.NaN],
    ['negative', -1],
    ['a string', '300'],
  ])('refuses a tolerance that is %s instead of switching the window off', (_, toleranceSeconds) => {
    invalidInput(() => verifyAsJs({ toleranceSeconds, headers: headersSigned(10_000) }), 'toleranceSeconds');
  });

  it('refuses settings whose tolerance is NaN', () => {
    invalidInput(() => verifyAsJs({ settings: { ...settings, toleranceSeconds: Number.NaN }, headers: headersSigned(10_000) }), 'settings.toleranceSeconds');
  });
});

describe('careless secrets', () => {
  it.each([
    ['undefined', undefined],
    ['a number', 42],
    ['an object', { secret: SECRET }],
    ['an array holding a non-string', [SECRET, 42]],
  ])('refuses secrets given as %s without showing them', (_, secrets) => {
    invalidInput(() => verifyAsJs({ secrets }), 'secrets');
  });

  it.each([
    ['an empty string', ''],
    ['an empty list', []],
    ['a list of empty strings', ['', '']],
  ])('rejects every delivery when the secret is %s', (_, secrets) => {
    const error = thrown(() => verifyAsJs({ secrets }));
    expect(error).toBeInstanceOf(SignatureError);
    expect((error as SignatureError).reason).toBe('no_secret');
  });
});

describe('careless bodies', () => {
  it('verifies the body as a Buffer and as its UTF-8 text alike', () => {
    expect(() => verifyAsJs({ rawBody: BODY })).not.toThrow();
    expect(() => verifyAsJs({ rawBody: BODY.toString('utf8') })).not.toThrow();
  });

  it('rejects a body decoded with the wrong charset: the bytes differ', () => {
    const error = thrown(() => verifyAsJs({ rawBody: BODY.toString('latin1') }));
    expect((error as SignatureError).reason).toBe('no_match');
  });

  it.each([
    ['the parsed JSON', JSON.parse(BODY.toString()) as unknown, /parsed/],
    ['undefined', undefined, /undefined/],
    ['an ArrayBuffer', new ArrayBuffer(8), /ArrayBuffer/],
  ])('refuses %s as the body, naming the parameter', (_, rawBody, hint) => {
    expect(invalidInput(() => verifyAsJs({ rawBody }), 'rawBody').message).toMatch(hint);
  });
});

describe('careless headers and settings', () => {
  it.each([
    ['undefined', undefined],
    ['null', null],
    ['a fetch Headers', new Headers(headersSigned(0))],
    ['a Map', new Map(Object.entries(headersSigned(0)))],
  ])('refuses headers given as %s', (_, headers) => {
    invalidInput(() => verifyAsJs({ headers }), 'headers');
  });

  it('rejects a delivery whose headers are all missing', () => {
    expect((thrown(() => verifyAsJs({ headers: {} })) as SignatureError).reason).toBe('missing_header');
  });

  it('refuses a header value that is not text', () => {
    const headers = { ...headersSigned(0), [settings.timestampHeader.toLowerCase()]: { seconds: 1 } };
    invalidInput(() => verifyAsJs({ headers }), 'headers');
  });

  it.each([
    ['an unknown scheme name', 'hmac', 'settings'],
    ['missing', undefined, 'settings'],
    ['an object with an unknown scheme', { ...settings, scheme: 'sha256' }, 'settings.scheme'],
    ['an object without a signature header', { ...settings, signatureHeader: undefined }, 'settings.signatureHeader'],
  ])('refuses settings that are %s', (_, value, field) => {
    invalidInput(() => verifyAsJs({ settings: value }), field);
  });

  it('refuses a call without its one argument', () => {
    invalidInput(() => verifyWebhook(undefined as unknown as Parameters<typeof verifyWebhook>[0]), 'input');
  });
});
