import { describe, expect, it } from 'vitest';
import { parseCapture } from '../src/commands/verify.js';
import { UsageError } from '../src/usage-error.js';

const BODY = '{"id":"evt_1","type":"invoice.paid","created_at":"2026-04-03T09:15:00.000Z","data":{}}';

describe('parseCapture', () => {
  it('reads CRLF headers, lower-cases their names, trims their values and keeps the body as sent', () => {
    const raw = Buffer.from(`X-Webhook-Id: dlv_1\r\nX-Webhook-Signature:   v1=abc  \r\nContent-Type: application/json\r\n\r\n${BODY}`);
    const { headers, body } = parseCapture(raw);
    expect(headers).toEqual({ 'x-webhook-id': 'dlv_1', 'x-webhook-signature': 'v1=abc', 'content-type': 'application/json' });
    expect(body.toString()).toBe(BODY);
  });

  it('reads a capture saved with bare LF line ends', () => {
    const { headers, body } = parseCapture(Buffer.from(`X-Webhook-Timestamp: 1775207700\n\n${BODY}\n`));
    expect(headers).toEqual({ 'x-webhook-timestamp': '1775207700' });
    expect(body.toString()).toBe(`${BODY}\n`);
  });

  it('skips the request line a full HTTP dump starts with', () => {
    const { headers } = parseCapture(Buffer.from(`POST /webhooks HTTP/1.1\r\nHost: 127.0.0.1:8787\r\n\r\n${BODY}`));
    expect(headers).toEqual({ host: '127.0.0.1:8787' });
  });

  it('splits at the first blank line, so blank lines inside the body stay in it', () => {
    const lfFirst = parseCapture(Buffer.from('A: 1\n\nline one\r\n\r\nline two'));
    expect(lfFirst.headers).toEqual({ a: '1' });
    expect(lfFirst.body.toString()).toBe('line one\r\n\r\nline two');
    const crlfFirst = parseCapture(Buffer.from('A: 1\r\n\r\nline one\n\nline two'));
    expect(crlfFirst.body.toString()).toBe('line one\n\nline two');
  });

  it('leaves the body bytes untouched, even when they are not UTF-8', () => {
    const bytes = Buffer.from([0xff, 0xfe, 0x00, 0x0d, 0x0a, 0x80]);
    const { body } = parseCapture(Buffer.concat([Buffer.from('A: 1\r\n\r\n'), bytes]));
    expect(body.equals(bytes)).toBe(true);
  });

  it('ignores header lines without a name and a colon', () => {
    const { headers } = parseCapture(Buffer.from('just some text\n: no name\nB: 2\n\n{}'));
    expect(headers).toEqual({ b: '2' });
  });

  it.each([
    ['an empty capture', ''],
    ['a body alone', BODY],
    ['headers with no blank line after them', 'X-Webhook-Id: dlv_1\r\nX-Webhook-Signature: v1=abc\r\n'],
  ])('refuses %s with the form it expects', (_, text) => {
    const attempt = () => parseCapture(Buffer.from(text));
    expect(attempt).toThrow(UsageError);
    expect(attempt).toThrow('the capture needs headers, a blank line, then the body exactly as received');
  });
});
