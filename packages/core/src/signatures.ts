/**
 * Webhook signatures for the three schemes of contract §9, shared by the sandbox (which
 * signs), the CLI's receiver, the n8n trigger and the Zapier hook (which verify).
 *
 * Rules for every scheme: verify the raw body bytes exactly as received, before any JSON
 * parsing; compare in constant time; a header may carry several signatures, one match is
 * enough; several secrets may be tried (rotation). Failures say what to check and never
 * echo a secret or the expected signature. Arguments of the wrong type (a JavaScript caller's
 * NaN `now`, a parsed body) are refused by ./signature-input.ts before any of this runs.
 */
import { createHmac, createSecretKey, timingSafeEqual, type KeyObject } from 'node:crypto';
import { type SignatureScheme, type SignatureSettings } from './config.js';
import { EventsyncError } from './errors.js';
import { checkVerifyInput, headerText } from './signature-input.js';

export type SignatureFailure = 'no_secret' | 'missing_header' | 'malformed_header' | 'timestamp_outside_window' | 'no_match';

export class SignatureError extends EventsyncError {
  constructor(
    message: string,
    readonly reason: SignatureFailure,
  ) {
    super(message, { code: `signature_${reason}` });
  }
}

export type RawBody = Uint8Array | string;
export type HeaderBag = Readonly<Record<string, string | readonly string[] | undefined>>;

export interface SignInput {
  readonly secret: string;
  readonly body: RawBody;
  /** Unix seconds; ignored by the `body` scheme. */
  readonly timestamp: number;
  /** Delivery id; part of the signed content for `standard-webhooks`. */
  readonly id: string;
}

/** The signature header's value for one secret. */
export function signWebhook(scheme: SignatureScheme, input: SignInput): string {
  const digest = hmac(scheme, input.secret, input.body, String(input.timestamp), input.id);
  switch (scheme) {
    case 'timestamped':
      return `v1=${digest.toString('hex')}`;
    case 'body':
      return `sha256=${digest.toString('hex')}`;
    case 'standard-webhooks':
      return `v1,${digest.toString('base64')}`;
  }
}

/** Every header a delivery carries besides Content-Type: id, event type, timestamp, signature(s). */
export function deliveryHeaders(
  settings: SignatureSettings,
  input: Omit<SignInput, 'secret'> & { readonly secrets: readonly string[]; readonly eventType: string },
): Record<string, string> {
  const signatures = input.secrets.map((secret) => signWebhook(settings.scheme, { ...input, secret }));
  const headers: Record<string, string> = {
    [settings.deliveryIdHeader]: input.id,
    [settings.eventTypeHeader]: input.eventType,
    [settings.signatureHeader]: signatures.join(' '),
  };
  if (settings.scheme !== 'body') headers[settings.timestampHeader] = String(input.timestamp);
  return headers;
}

export interface VerifyInput {
  /** Scheme and header names; a scheme name alone takes that scheme's standard names. */
  readonly settings: SignatureSettings | SignatureScheme;
  readonly rawBody: RawBody;
  readonly headers: HeaderBag;
  /** Current secret first; during a rotation, the old one after it. */
  readonly secrets: string | readonly string[];
  /** Replay window in seconds, both directions; default from the settings (0 = none). */
  readonly toleranceSeconds?: number;
  /** Epoch milliseconds to judge the timestamp against; left out, the current time. */
  readonly now?: number;
}

export interface VerifiedDelivery {
  /** The delivery id header, when present. */
  readonly deliveryId: string | undefined;
  /** Unix seconds, for timestamped schemes. */
  readonly timestamp: number | undefined;
  /** Which of the secrets matched (0 = the first): tells a rotation when the old one is no longer used. */
  readonly secretIndex: number;
}

/** Throws SignatureError when the delivery does not verify, InvalidInputError when an argument is not of its type. */
export function verifyWebhook(input: VerifyInput): VerifiedDelivery {
  const { settings, rawBody, headers, secrets, tolerance, now } = checkVerifyInput(input);
  if (!secrets.some((secret) => secret !== '')) throw new SignatureError('no signing secret is configured, so no delivery can be verified', 'no_secret');

  const header = readHeader(headers, settings.signatureHeader);
  if (header === undefined) {
    throw new SignatureError(
      `the ${settings.signatureHeader} header is missing: is this a delivery from the API, and does every proxy on the way forward that header?`,
      'missing_header',
    );
  }
  const candidates = parseSignatures(settings.scheme, header);
  if (candidates.length === 0) {
    throw new SignatureError(`${settings.signatureHeader} holds no ${expectedForm(settings.scheme)} signature`, 'malformed_header');
  }

  const deliveryId = readHeader(headers, settings.deliveryIdHeader);
  let timestamp: number | undefined;
  let timestampText = '';
  if (settings.scheme !== 'body') {
    const text = readHeader(headers, settings.timestampHeader);
    if (text === undefined) throw new SignatureError(`the ${settings.timestampHeader} header is missing`, 'missing_header');
    timestampText = text.trim();
    if (!/^\d{1,12}$/.test(timestampText)) {
      throw new SignatureError(`${settings.timestampHeader} must be unix seconds, got "${text.slice(0, 32)}"`, 'malformed_header');
    }
    timestamp = Number(timestampText);
    const skew = Math.round(now / 1000 - timestamp);
    if (tolerance > 0 && Math.abs(skew) > tolerance) {
      throw new SignatureError(
        `${settings.timestampHeader} is ${Math.abs(skew)} s in the ${skew > 0 ? 'past' : 'future'} (allowed ${tolerance} s): a replayed delivery, or this server's clock is off`,
        'timestamp_outside_window',
      );
    }
    if (settings.scheme === 'standard-webhooks' && deliveryId === undefined) {
      throw new SignatureError(`the ${settings.deliveryIdHeader} header is missing; standard-webhooks signs it`, 'missing_header');
    }
  }

  for (let secretIndex = 0; secretIndex < secrets.length; secretIndex++) {
    const secret = secrets[secretIndex]!;
    if (secret === '') continue;
    const expected = hmac(settings.scheme, secret, rawBody, timestampText, deliveryId ?? '');
    for (const candidate of candidates) {
      if (candidate.length === expected.length && timingSafeEqual(candidate, expected)) return { deliveryId, timestamp, secretIndex };
    }
  }
  throw new SignatureError(
    `no signature in ${settings.signatureHeader} matched (${secrets.length} secret${secrets.length === 1 ? '' : 's'} tried over ${byteLength(rawBody)} body bytes): ` +
      'the secret is not this subscription\'s, or the body was changed (parsed and re-serialised?) before verification',
    'no_match',
  );
}

/** `timestamp` as its decimal text, exactly as it travels in the header. */
function hmac(scheme: SignatureScheme, secret: string, body: RawBody, timestamp: string, id: string): Buffer {
  const mac = createHmac('sha256', signingKey(scheme, secret));
  if (scheme === 'timestamped') mac.update(`${timestamp}.`);
  if (scheme === 'standard-webhooks') mac.update(`${id}.${timestamp}.`);
  mac.update(body);
  return mac.digest();
}

/** Prepared keys by secret: one map per way of reading a secret, so a lookup builds no string. */
const textKeys = new Map<string, KeyObject>();
const base64Keys = new Map<string, KeyObject>();

/**
 * The HMAC key of a secret, prepared once: Standard Webhooks keys are the base64 after
 * `whsec_`; the other schemes sign with the secret text itself. A verifier sees a handful
 * of secrets (rotation), so the caches stay small; they are bounded all the same.
 */
function signingKey(scheme: SignatureScheme, secret: string): KeyObject {
  const cache = scheme === 'standard-webhooks' ? base64Keys : textKeys;
  let key = cache.get(secret);
  if (!key) {
    const bytes =
      scheme === 'standard-webhooks'
        ? Buffer.from(secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret, 'base64')
        : Buffer.from(secret, 'utf8');
    key = createSecretKey(bytes);
    if (cache.size >= 64) cache.clear();
    cache.set(secret, key);
  }
  return key;
}

/** The decoded signatures a header carries, in the scheme's own form; anything else is ignored. */
function parseSignatures(scheme: SignatureScheme, header: string): Buffer[] {
  if (scheme === 'standard-webhooks') {
    // `v1,<base64>` entries, space separated: the comma belongs to each entry.
    return header
      .split(' ')
      .filter((entry) => entry.startsWith('v1,'))
      .map((entry) => Buffer.from(entry.slice(3), 'base64'));
  }
  const prefix = scheme === 'timestamped' ? 'v1=' : 'sha256=';
  // Most headers carry one signature: skip the split for them.
  const entries = header.includes(' ') || header.includes(',') ? header.split(/[\s,]+/) : [header];
  const signatures: Buffer[] = [];
  for (const entry of entries) {
    if (!entry.startsWith(prefix) || entry.length !== prefix.length + 64) continue;
    // Decoding stops at the first pair that is not hex, so a full 32 bytes proves all 64 digits were.
    const signature = Buffer.from(entry.slice(prefix.length), 'hex');
    if (signature.length === 32) signatures.push(signature);
  }
  return signatures;
}

function expectedForm(scheme: SignatureScheme): string {
  return { timestamped: 'v1=<64 hex digits>', body: 'sha256=<64 hex digits>', 'standard-webhooks': 'v1,<base64>' }[scheme];
}

const lowerNames = new Map<string, string>();

/** Case-insensitive; Node lower-cases incoming names, other hosts (Zapier) may not. */
function readHeader(headers: HeaderBag, name: string): string | undefined {
  let lower = lowerNames.get(name);
  if (lower === undefined) {
    lower = name.toLowerCase();
    if (lowerNames.size < 256) lowerNames.set(name, lower);
  }
  let value = headers[lower] ?? headers[name];
  if (value === undefined) {
    for (const [key, candidate] of Object.entries(headers)) {
      if (key.toLowerCase() === lower) {
        value = candidate;
        break;
      }
    }
  }
  return headerText(name, value);
}

function byteLength(body: RawBody): number {
  return typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
}
