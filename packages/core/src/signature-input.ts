/**
 * The verifier's arguments, checked as JavaScript callers really pass them (the n8n node,
 * the Zapier app and users' own handlers have no compiler to stop them). A careless
 * argument must fail closed: a NaN `now` or tolerance once made the replay window's
 * comparison false, so a delivery signed hours ago was accepted. Every wrong type ends here
 * in an InvalidInputError naming the argument; messages never show a secret's value.
 */
import { SIGNATURE_DEFAULTS, type SignatureScheme, type SignatureSettings } from './config.js';
import { InvalidInputError } from './errors.js';
import type { DeliveryInput, HeaderBag, RawBody } from './signatures.js';

export interface CheckedVerifierSetup {
  readonly settings: SignatureSettings;
  readonly secrets: readonly string[];
  /** Seconds, finite and >= 0; 0 = no window. */
  readonly tolerance: number;
}

export interface CheckedDelivery {
  readonly rawBody: RawBody;
  readonly headers: HeaderBag;
  /** Epoch milliseconds, finite. */
  readonly now: number;
}

/** What a verifier is built from: the scheme and header names, the secrets, the replay window. */
export function checkVerifierSetup(settings: unknown, secrets: unknown, toleranceSeconds: unknown): CheckedVerifierSetup {
  const checked = checkSettings(settings);
  const tolerance = toleranceSeconds ?? checked.toleranceSeconds;
  checkTolerance(tolerance, toleranceSeconds === undefined ? 'settings.toleranceSeconds' : 'toleranceSeconds');
  return { settings: checked, secrets: checkSecrets(secrets), tolerance: tolerance as number };
}

/** What each delivery brings: the raw body, the headers, and the time to judge it at. */
export function checkDelivery(input: unknown, caller = 'verify'): CheckedDelivery {
  if (typeof input !== 'object' || input === null) {
    throw new InvalidInputError(`${caller} takes one input object { rawBody, headers, now }; got ${kind(input)}`, 'input');
  }
  const { rawBody, headers, now } = input as Partial<Record<keyof DeliveryInput, unknown>>;
  return { rawBody: checkBody(rawBody), headers: checkHeaders(headers), now: checkNow(now) };
}

/** A header's value as text; Node gives repeated headers as arrays. */
export function headerText(name: string, value: unknown): string | undefined {
  if (value === undefined || typeof value === 'string') return value;
  if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return value.join(' ');
  throw new InvalidInputError(`headers["${name}"] must be a string or an array of strings; got ${kind(value)}`, 'headers');
}

function checkNow(now: unknown): number {
  // Left out: the current time. Reading the clock is allowed in the pure layer; scheduling is not.
  if (now === undefined) return Date.now();
  if (typeof now === 'number' && Number.isFinite(now)) return now;
  const hint = typeof now === 'function' ? ' (pass Date.now(), not Date.now)' : now instanceof Date ? ' (pass date.getTime())' : '';
  throw new InvalidInputError(`now must be epoch milliseconds as a finite number, or left out for the current time; got ${kind(now)}${hint}`, 'now');
}

function checkTolerance(tolerance: unknown, field: string): void {
  if (typeof tolerance === 'number' && Number.isFinite(tolerance) && tolerance >= 0) return;
  throw new InvalidInputError(`${field} must be a number of seconds, 0 or more (0 turns the replay window off); got ${kind(tolerance)}`, field);
}

const SCHEMES = Object.keys(SIGNATURE_DEFAULTS) as SignatureScheme[];

function checkSettings(settings: unknown): SignatureSettings {
  if (typeof settings === 'string' && (SCHEMES as string[]).includes(settings)) return SIGNATURE_DEFAULTS[settings as SignatureScheme];
  if (typeof settings !== 'object' || settings === null) {
    const got = typeof settings === 'string' ? `"${settings.slice(0, 40)}"` : kind(settings);
    throw new InvalidInputError(`settings must be a scheme name (${SCHEMES.join(', ')}) or a preset's signature settings; got ${got}`, 'settings');
  }
  const given = settings as Partial<Record<keyof SignatureSettings, unknown>>;
  if (!(SCHEMES as unknown[]).includes(given.scheme)) {
    throw new InvalidInputError(`settings.scheme must be one of ${SCHEMES.join(', ')}; got ${typeof given.scheme === 'string' ? `"${given.scheme.slice(0, 40)}"` : kind(given.scheme)}`, 'settings.scheme');
  }
  const needed: Array<keyof SignatureSettings> = given.scheme === 'body' ? ['signatureHeader', 'deliveryIdHeader'] : ['signatureHeader', 'deliveryIdHeader', 'timestampHeader'];
  for (const name of needed) {
    if (typeof given[name] !== 'string' || given[name] === '') {
      throw new InvalidInputError(`settings.${name} must name a header; got ${kind(given[name])}`, `settings.${name}`);
    }
  }
  return settings as SignatureSettings;
}

function checkBody(rawBody: unknown): RawBody {
  if (typeof rawBody === 'string' || rawBody instanceof Uint8Array) return rawBody;
  const parsed = typeof rawBody === 'object' && rawBody !== null && !(rawBody instanceof ArrayBuffer) ? ': a parsed body cannot be verified, re-serialising changes its bytes' : '';
  throw new InvalidInputError(`rawBody must be the body exactly as received, a Buffer, Uint8Array or string; got ${kind(rawBody)}${parsed}`, 'rawBody');
}

function checkHeaders(headers: unknown): HeaderBag {
  if (typeof headers !== 'object' || headers === null || Array.isArray(headers)) {
    throw new InvalidInputError(`headers must be an object of header name -> value; got ${kind(headers)}`, 'headers');
  }
  // A fetch Headers or a Map keeps its entries out of reach of property reads: every header would look missing.
  if (typeof (headers as { get?: unknown }).get === 'function') {
    throw new InvalidInputError(`headers must be a plain object of header name -> value; got ${kind(headers)} (pass Object.fromEntries(headers))`, 'headers');
  }
  return headers as HeaderBag;
}

function checkSecrets(secrets: unknown): readonly string[] {
  if (typeof secrets === 'string') return [secrets];
  if (Array.isArray(secrets)) {
    const wrong = secrets.findIndex((secret) => typeof secret !== 'string');
    if (wrong < 0) return secrets as string[];
    throw new InvalidInputError(`secrets must be a string or an array of strings; secrets[${wrong}] is ${kind(secrets[wrong], false)}`, 'secrets');
  }
  throw new InvalidInputError(`secrets must be a string or an array of strings (current secret first); got ${kind(secrets, false)}`, 'secrets');
}

/** What a value is, without its content (these messages reach logs); numbers are shown unless they may be a secret. */
function kind(value: unknown, showNumber = true): string {
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'number') return showNumber || !Number.isFinite(value) ? String(value) : 'a number';
  const name = typeof value === 'object' ? ((value as object).constructor?.name ?? 'Object') : typeof value;
  if (name === 'Object') return 'an object';
  return `${/^[aeiouAEIOU]/.test(name) ? 'an' : 'a'} ${name}`;
}
