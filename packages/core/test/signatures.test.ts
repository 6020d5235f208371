import { inspect } from 'node:util';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { PRESETS, SIGNATURE_DEFAULTS, SignatureError, deliveryHeaders, signWebhook, verifyWebhook, type SignatureScheme } from '@eventsync/core';

// Public known answers (Standard Webhooks' shared test vector; the GitHub-style sha256= example).
const SW = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: 1614265330,
  body: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
};
const GITHUB = { secret: 'mysecret', body: '{"foo":"bar"}', signature: 'sha256=4864d2759938a15468b5df9ade20bf161da9b4f737ea61794142f3484236bda3' };

const NOW = 1_700_000_000_000;
const SECRET = 'whsec_' + Buffer.from('unit-test-secret-not-real').toString('base64');
const BODY = Buffer.from('{"id":"evt_1","type":"customer.created","created_at":"2026-04-03T09:15:00.000Z","data":{}}');

function signedHeaders(scheme: SignatureScheme, options: { secrets?: string[]; timestamp?: number; body?: Buffer } = {}) {
  // Each scheme with the header names of a real variant: X-VC-* (partner), Ventryx-Signature (ventryx).
  const settings = { timestamped: PRESETS.partner.signature, body: PRESETS.ventryx.signature, 'standard-webhooks': SIGNATURE_DEFAULTS['standard-webhooks'] }[scheme];
  const headers = deliveryHeaders(settings, {
    secrets: options.secrets ?? [SECRET],
    body: options.body ?? BODY,
    timestamp: options.timestamp ?? NOW / 1000,
    id: 'del_1',
    eventType: 'customer.created',
  });
  return { settings, headers: Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value])) };
}

function failure(run: () => unknown): SignatureError {
  try {
    run();
  } catch (error) {
    if (error instanceof SignatureError) return error;
    throw error;
  }
  throw new Error('expected verification to fail');
}

describe('known answers', () => {
  it('matches the Standard Webhooks shared vector', () => {
    expect(signWebhook('standard-webhooks', SW)).toBe(SW.signature);
    const verified = verifyWebhook({
      settings: 'standard-webhooks',
      rawBody: SW.body,
      headers: { 'webhook-id': SW.id, 'webhook-timestamp': String(SW.timestamp), 'webhook-signature': SW.signature },
      secrets: SW.secret,
      now: SW.timestamp * 1000,
    });
    expect(verified.deliveryId).toBe(SW.id);
  });

  it('matches the GitHub-style sha256= answer', () => {
    expect(signWebhook('body', { ...GITHUB, timestamp: 0, id: '' })).toBe(GITHUB.signature);
    expect(() =>
      verifyWebhook({ settings: 'body', rawBody: GITHUB.body, headers: { 'x-webhook-signature': GITHUB.signature }, secrets: GITHUB.secret, now: NOW }),
    ).not.toThrow();
  });
});

describe('interop with the standardwebhooks package', () => {
  it('verifies what the package signs', () => {
    const webhook = new Webhook(SECRET);
    const at = new Date(NOW);
    const signature = webhook.sign('msg_interop', at, BODY.toString());
    const headers = { 'webhook-id': 'msg_interop', 'webhook-timestamp': String(NOW / 1000), 'webhook-signature': signature };
    expect(verifyWebhook({ settings: 'standard-webhooks', rawBody: BODY, headers, secrets: SECRET, now: NOW }).deliveryId).toBe('msg_interop');
  });

  it('signs what the package verifies', () => {
    // The package checks the timestamp against the real clock.
    const { headers } = signedHeaders('standard-webhooks', { timestamp: Math.floor(Date.now() / 1000) });
    expect(() => new Webhook(SECRET).verify(BODY.toString(), headers)).not.toThrow();
  });
});

describe.each(['timestamped', 'body', 'standard-webhooks'] as const)('%s scheme', (scheme) => {
  it('accepts an untouched delivery, from raw bytes', () => {
    const { settings, headers } = signedHeaders(scheme);
    expect(() => verifyWebhook({ settings, rawBody: BODY, headers, secrets: [SECRET], now: NOW })).not.toThrow();
  });

  it('rejects a body with one byte changed', () => {
    const { settings, headers } = signedHeaders(scheme);
    const tampered = Buffer.from(BODY);
    tampered[10] = tampered[10]! ^ 1;
    expect(failure(() => verifyWebhook({ settings, rawBody: tampered, headers, secrets: [SECRET], now: NOW })).reason).toBe('no_match');
  });

  it('rejects a body that was parsed and re-serialised', () => {
    const { settings, headers } = signedHeaders(scheme);
    const reserialised = JSON.stringify(JSON.parse(BODY.toString()), null, 1);
    expect(failure(() => verifyWebhook({ settings, rawBody: reserialised, headers, secrets: [SECRET], now: NOW })).reason).toBe('no_match');
  });

  it('accepts either of two secrets during a rotation, and says which matched', () => {
    const oldSecret = SECRET.replace('dW5p', 'b2xk');
    const { settings, headers } = signedHeaders(scheme, { secrets: [oldSecret] });
    expect(verifyWebhook({ settings, rawBody: BODY, headers, secrets: [SECRET, oldSecret], now: NOW }).secretIndex).toBe(1);
  });

  it('accepts a header carrying several signatures when one matches', () => {
    const { settings, headers } = signedHeaders(scheme, { secrets: ['whsec_' + Buffer.from('another').toString('base64'), SECRET] });
    expect(headers[settings.signatureHeader.toLowerCase()]!.split(' ')).toHaveLength(2);
    expect(() => verifyWebhook({ settings, rawBody: BODY, headers, secrets: [SECRET], now: NOW })).not.toThrow();
  });

  it('names a missing signature header', () => {
    const { settings, headers } = signedHeaders(scheme);
    delete headers[settings.signatureHeader.toLowerCase()];
    const error = failure(() => verifyWebhook({ settings, rawBody: BODY, headers, secrets: [SECRET], now: NOW }));
    expect(error.reason).toBe('missing_header');
    expect(error.message).toContain(settings.signatureHeader);
  });

  it('calls a header without a signature of its form malformed', () => {
    const { settings, headers } = signedHeaders(scheme);
    headers[settings.signatureHeader.toLowerCase()] = 'nonsense';
    expect(failure(() => verifyWebhook({ settings, rawBody: BODY, headers, secrets: [SECRET], now: NOW })).reason).toBe('malformed_header');
  });

  it('never echoes the secret or the expected signature', () => {
    const { settings, headers } = signedHeaders(scheme);
    const expected = headers[settings.signatureHeader.toLowerCase()]!;
    const error = failure(() => verifyWebhook({ settings, rawBody: Buffer.from('{}'), headers, secrets: [SECRET], now: NOW }));
    const text = [error.message, error.stack, JSON.stringify(error), inspect(error, { depth: 5 })].join('\n');
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain(SECRET.slice('whsec_'.length));
    expect(text).not.toContain(expected.slice(3, 20));
  });
});

describe.each(['timestamped', 'standard-webhooks'] as const)('%s replay window', (scheme) => {
  it('rejects a timestamp more than 5 minutes in the past', () => {
    const { settings, headers } = signedHeaders(scheme, { timestamp: NOW / 1000 - 301 });
    const error = failure(() => verifyWebhook({ settings, rawBody: BODY, headers, secrets: [SECRET], now: NOW }));
    expect(error.reason).toBe('timestamp_outside_window');
    expect(error.message).toContain('301 s in the past');
  });

  it('rejects a timestamp more than 5 minutes in the future', () => {
    const { settings, headers } = signedHeaders(scheme, { timestamp: NOW / 1000 + 301 });
    expect(failure(() => verifyWebhook({ settings, rawBody: BODY, headers, secrets: [SECRET], now: NOW })).reason).toBe('timestamp_outside_window');
  });

  it('accepts 299 s of skew either way', () => {
    for (const offset of [-299, 299]) {
      const { settings, headers } = signedHeaders(scheme, { timestamp: NOW / 1000 + offset });
      expect(() => verifyWebhook({ settings, rawBody: BODY, headers, secrets: [SECRET], now: NOW })).not.toThrow();
    }
  });
});

it('the body scheme has no replay window: old deliveries verify, dedupe by id handles them', () => {
  const { settings, headers } = signedHeaders('body', { timestamp: 0 });
  expect(() => verifyWebhook({ settings, rawBody: BODY, headers, secrets: [SECRET], now: NOW + 86_400_000 })).not.toThrow();
});

it('refuses to verify with no secret configured', () => {
  const { settings, headers } = signedHeaders('timestamped');
  expect(failure(() => verifyWebhook({ settings, rawBody: BODY, headers, secrets: [], now: NOW })).reason).toBe('no_secret');
});
