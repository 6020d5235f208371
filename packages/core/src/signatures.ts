/**
 * Webhook signatures for the three schemes (timestamped, body, standard-webhooks), shared by
 * the sandbox (which signs), the CLI's receiver, the n8n trigger and the Zapier hook (which
 * verify). What differs between the schemes is one row of `SCHEMES`; the rest is one path.
 *
 * Rules for every scheme: verify the raw body bytes exactly as received, before any JSON
 * parsing; compare in constant time; a header may carry several signatures, one match is
 * enough; several secrets may be tried (rotation). Failures say what to check and never
 * echo a secret or the expected signature. Arguments of the wrong type (a JavaScript caller's
 * NaN `now`, a parsed body) are refused by ./signature-input.ts before any of this runs.
 *
 * A receiver builds a `Verifier` once per set of secrets (`createVerifier`): the HMAC keys are
 * prepared then, not per delivery. `check` answers without throwing, so a flood of bad
 * signatures costs no stack traces; `verify` throws a SignatureError for callers who prefer it.
 */
import { createHmac, createSecretKey, timingSafeEqual, type KeyObject } from 'node:crypto';
import { type SignatureScheme, type SignatureSettings } from './config.js';
import { EventsyncError } from './errors.js';
import { checkDelivery, checkVerifierSetup, headerText } from './signature-input.js';

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

/** What sets one scheme apart: how a signature is written and read, what is signed, what the key is. */
interface SchemeRules {
  /** Each signature in the header starts with this (`v1=`, `sha256=`, `v1,`). */
  readonly prefix: string;
  readonly encoding: 'hex' | 'base64';
  /** Signatures in one header are separated by white space (and commas, where a comma is not part of an entry). */
  readonly separator: RegExp;
  /** Whether a timestamp header is signed and checked against the replay window. */
  readonly timestamped: boolean;
  /** Whether the delivery id is signed, and so required. */
  readonly signsId: boolean;
  /** What comes before the body in the signed content. */
  signedPrefix(timestamp: string, id: string): string;
  /** The HMAC key's bytes for a secret. */
  keyBytes(secret: string): Uint8Array;
}

const utf8 = (secret: string): Uint8Array => Buffer.from(secret, 'utf8');

const SCHEMES: Readonly<Record<SignatureScheme, SchemeRules>> = {
  timestamped: {
    prefix: 'v1=',
    encoding: 'hex',
    separator: /[\s,]+/,
    timestamped: true,
    signsId: false,
    signedPrefix: (timestamp) => `${timestamp}.`,
    keyBytes: utf8,
  },
  body: { prefix: 'sha256=', encoding: 'hex', separator: /[\s,]+/, timestamped: false, signsId: false, signedPrefix: () => '', keyBytes: utf8 },
  'standard-webhooks': {
    prefix: 'v1,',
    encoding: 'base64',
    separator: / +/,
    timestamped: true,
    signsId: true,
    signedPrefix: (timestamp, id) => `${id}.${timestamp}.`,
    // Standard Webhooks keys are the base64 after `whsec_`.
    keyBytes: (secret) => Buffer.from(secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret, 'base64'),
  },
};

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
  const rules = SCHEMES[scheme];
  const key = createSecretKey(rules.keyBytes(input.secret));
  return rules.prefix + hmac(rules, key, input.body, String(input.timestamp), input.id).toString(rules.encoding);
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
  if (SCHEMES[settings.scheme].timestamped) headers[settings.timestampHeader] = String(input.timestamp);
  return headers;
}

/** One delivery as received. */
export interface DeliveryInput {
  readonly rawBody: RawBody;
  readonly headers: HeaderBag;
  /** Epoch milliseconds to judge the timestamp against; left out, the current time. */
  readonly now?: number;
}

export interface VerifyInput extends DeliveryInput {
  /** Scheme and header names; a scheme name alone takes that scheme's standard names. */
  readonly settings: SignatureSettings | SignatureScheme;
  /** Current secret first; during a rotation, the old one after it. */
  readonly secrets: string | readonly string[];
  /** Replay window in seconds, both directions; default from the settings (0 = none). */
  readonly toleranceSeconds?: number;
}

export interface VerifiedDelivery {
  /** The delivery id header, when present. */
  readonly deliveryId: string | undefined;
  /** Unix seconds, for timestamped schemes. */
  readonly timestamp: number | undefined;
  /** Which of the secrets matched (0 = the first): tells a rotation when the old one is no longer used. */
  readonly secretIndex: number;
}

export type VerifyResult =
  | ({ readonly ok: true } & VerifiedDelivery)
  | { readonly ok: false; readonly reason: SignatureFailure; readonly message: string };

export interface Verifier {
  /** The verdict on one delivery, without throwing for a bad signature (InvalidInputError still for an argument of the wrong type). */
  check(delivery: DeliveryInput): VerifyResult;
  /** As `check`, throwing a SignatureError when the delivery does not verify. */
  verify(delivery: DeliveryInput): VerifiedDelivery;
}

/**
 * A verifier for one scheme and set of secrets, their keys prepared once. Build a new one
 * when the secrets change (a rotation); `toleranceSeconds` overrides the settings' window.
 */
export function createVerifier(
  settings: SignatureSettings | SignatureScheme,
  secrets: string | readonly string[],
  options: { readonly toleranceSeconds?: number } = {},
): Verifier {
  const setup = checkVerifierSetup(settings, secrets, options.toleranceSeconds);
  const rules = SCHEMES[setup.settings.scheme];
  // Empty secrets are kept as holes so that `secretIndex` still names the caller's position.
  const keys = setup.secrets.map((secret) => (secret === '' ? undefined : createSecretKey(rules.keyBytes(secret))));
  // Worked out once here rather than per delivery: a receiver verifies every request with it.
  const prepared: PreparedVerifier = {
    settings: setup.settings,
    rules,
    keys,
    hasKey: keys.some((key) => key !== undefined),
    tolerance: setup.tolerance,
    signatureHeader: headerName(setup.settings.signatureHeader),
    deliveryIdHeader: headerName(setup.settings.deliveryIdHeader),
    // The body scheme has no timestamp, and a caller's settings for it may name no header.
    timestampHeader: headerName(rules.timestamped ? setup.settings.timestampHeader : ''),
  };
  const check = (delivery: DeliveryInput): VerifyResult => judge(prepared, checkDelivery(delivery));
  return {
    check,
    verify: (delivery) => {
      const result = check(delivery);
      if (!result.ok) throw new SignatureError(result.message, result.reason);
      return { deliveryId: result.deliveryId, timestamp: result.timestamp, secretIndex: result.secretIndex };
    },
  };
}

/** One-off verification; throws SignatureError when the delivery does not verify. A receiver should keep a `createVerifier` instead. */
export function verifyWebhook(input: VerifyInput): VerifiedDelivery {
  if (typeof input !== 'object' || input === null) {
    checkDelivery(input, 'verifyWebhook');
  }
  return createVerifier(input.settings, input.secrets, input.toleranceSeconds === undefined ? {} : { toleranceSeconds: input.toleranceSeconds }).verify(input);
}

/** A verifier's fixed part: its scheme's rules, keys and header names. */
interface PreparedVerifier {
  readonly settings: SignatureSettings;
  readonly rules: SchemeRules;
  readonly keys: ReadonlyArray<KeyObject | undefined>;
  readonly hasKey: boolean;
  readonly tolerance: number;
  readonly signatureHeader: HeaderName;
  readonly deliveryIdHeader: HeaderName;
  readonly timestampHeader: HeaderName;
}

function judge(
  verifier: PreparedVerifier,
  { rawBody, headers, now }: { readonly rawBody: RawBody; readonly headers: HeaderBag; readonly now: number },
): VerifyResult {
  const { settings, rules, keys, tolerance } = verifier;
  if (!verifier.hasKey) return fail('no_secret', 'no signing secret is configured, so no delivery can be verified');

  const header = readHeader(headers, verifier.signatureHeader);
  if (header === undefined) {
    return fail(
      'missing_header',
      `the ${settings.signatureHeader} header is missing: is this a delivery from the API, and does every proxy on the way forward that header?`,
    );
  }
  const candidates = parseSignatures(rules, header);
  if (candidates.length === 0) return fail('malformed_header', `${settings.signatureHeader} holds no ${rules.prefix}<${rules.encoding}> signature`);

  const deliveryId = readHeader(headers, verifier.deliveryIdHeader);
  let timestamp: number | undefined;
  let timestampText = '';
  if (rules.timestamped) {
    const text = readHeader(headers, verifier.timestampHeader);
    if (text === undefined) return fail('missing_header', `the ${settings.timestampHeader} header is missing`);
    timestampText = text.trim();
    if (!/^\d{1,12}$/.test(timestampText)) return fail('malformed_header', `${settings.timestampHeader} must be unix seconds, got "${text.slice(0, 32)}"`);
    timestamp = Number(timestampText);
    const skew = Math.round(now / 1000 - timestamp);
    if (tolerance > 0 && Math.abs(skew) > tolerance) {
      return fail(
        'timestamp_outside_window',
        `${settings.timestampHeader} is ${Math.abs(skew)} s in the ${skew > 0 ? 'past' : 'future'} (allowed ${tolerance} s): a replayed delivery, or this server's clock is off`,
      );
    }
  }
  if (rules.signsId && deliveryId === undefined) {
    return fail('missing_header', `the ${settings.deliveryIdHeader} header is missing; ${settings.scheme} signs it`);
  }

  for (let secretIndex = 0; secretIndex < keys.length; secretIndex++) {
    const key = keys[secretIndex];
    if (key === undefined) continue;
    const expected = hmac(rules, key, rawBody, timestampText, deliveryId ?? '');
    for (const candidate of candidates) {
      if (candidate.length === expected.length && timingSafeEqual(candidate, expected)) return { ok: true, deliveryId, timestamp, secretIndex };
    }
  }
  return fail(
    'no_match',
    `no signature in ${settings.signatureHeader} matched (${keys.length} secret${keys.length === 1 ? '' : 's'} tried over ${byteLength(rawBody)} body bytes): ` +
      "the secret is not this subscription's, or the body was changed (parsed and re-serialised?) before verification",
  );
}

function fail(reason: SignatureFailure, message: string): VerifyResult {
  return { ok: false, reason, message };
}

/** `timestamp` as its decimal text, exactly as it travels in the header. */
function hmac(rules: SchemeRules, key: KeyObject, body: RawBody, timestamp: string, id: string): Buffer {
  const mac = createHmac('sha256', key);
  const prefix = rules.signedPrefix(timestamp, id);
  if (prefix !== '') mac.update(prefix);
  mac.update(body);
  return mac.digest();
}

/** The decoded signatures a header carries, in the scheme's own form; anything else is ignored. */
function parseSignatures(rules: SchemeRules, header: string): Buffer[] {
  // Most headers carry one signature: skip the split for them.
  const entries = header.includes(' ') || header.includes(',') ? header.split(rules.separator) : [header];
  const signatures: Buffer[] = [];
  for (const entry of entries) {
    if (!entry.startsWith(rules.prefix)) continue;
    const signature = Buffer.from(entry.slice(rules.prefix.length), rules.encoding);
    // A SHA-256 is 32 bytes; hex decoding stops at the first pair that is not hex, so 32 bytes proves all 64 digits were.
    if (signature.length === 32) signatures.push(signature);
  }
  return signatures;
}

/** A header's name as configured and lower-cased, the form Node gives incoming names in. */
interface HeaderName {
  readonly name: string;
  readonly lower: string;
}

function headerName(name: string): HeaderName {
  return { name, lower: name.toLowerCase() };
}

/** Case-insensitive; Node lower-cases incoming names, other hosts (Zapier) may not. */
function readHeader(headers: HeaderBag, { name, lower }: HeaderName): string | undefined {
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
