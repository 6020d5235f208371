/**
 * Fault injection on the delivery side: the ways a webhook dispatcher misbehaves that a
 * receiver must survive (lost, repeated, late and corrupted deliveries). Draws come from
 * their own seeded stream; a rate of exactly 0 or 1 draws nothing, as in faults.ts.
 */
import { ConfigError } from '@eventsync/core';
import { Random, streamSeed } from './random.js';
import { checkDuration } from './time.js';

export interface WebhookFaultOptions {
  /** Share of attempts silently never sent: a lost delivery, no failure recorded, no retry. */
  dropRate?: number;
  /** Share of attempts sent twice: the same delivery (same delivery id, same event, same bytes). */
  duplicateRate?: number;
  /** Wait before sending: a fixed delay or a uniform range [min, max], in ms. */
  delayMs?: number | [number, number];
  /** Share of attempts whose body has one byte changed after signing. */
  tamperRate?: number;
}

const RATES = ['dropRate', 'duplicateRate', 'tamperRate'] as const;
const KNOWN = new Set<string>([...RATES, 'delayMs']);

/** Throws a ConfigError naming the knob (`<prefix>.<knob>`), so a typo is loud. */
export function checkWebhookFaults(faults: WebhookFaultOptions, prefix = 'webhooks.faults'): WebhookFaultOptions {
  if (typeof faults !== 'object' || faults === null || Array.isArray(faults)) {
    throw new ConfigError(`${prefix} must be an object`, prefix);
  }
  for (const name of Object.keys(faults)) {
    if (!KNOWN.has(name)) throw new ConfigError(`unknown webhook fault "${name}"; use ${[...KNOWN].join(', ')}`, `${prefix}.${name}`);
  }
  for (const name of RATES) {
    const rate = faults[name];
    if (rate !== undefined && !(typeof rate === 'number' && rate >= 0 && rate <= 1)) {
      throw new ConfigError(`${prefix}.${name} must be a share between 0 and 1`, `${prefix}.${name}`);
    }
  }
  checkDuration(faults.delayMs, `${prefix}.delayMs`);
  return { ...faults };
}

const ALPHANUMERIC = /[A-Za-z0-9]/;
const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

export class WebhookFaultInjector {
  private faults: WebhookFaultOptions;
  private readonly random: Random;

  constructor(seed: number, faults: WebhookFaultOptions) {
    this.random = new Random(streamSeed(seed, 'webhook-faults'));
    this.faults = checkWebhookFaults(faults);
  }

  get current(): WebhookFaultOptions {
    return { ...this.faults };
  }

  /** Replaces every knob at once: a knob left out is off. */
  set(faults: WebhookFaultOptions): void {
    this.faults = checkWebhookFaults(faults, 'faults');
  }

  drop(): boolean {
    return this.random.chance(this.faults.dropRate ?? 0);
  }

  duplicate(): boolean {
    return this.random.chance(this.faults.duplicateRate ?? 0);
  }

  tamper(): boolean {
    return this.random.chance(this.faults.tamperRate ?? 0);
  }

  delayMs(): number {
    return this.random.duration(this.faults.delayMs);
  }

  /**
   * The body with one letter or digit replaced by another: the JSON stays well-formed (a
   * proxy that rewrites content, not a truncated stream), so only the signature can tell.
   */
  tampered(body: Buffer): Buffer {
    const positions: number[] = [];
    for (let i = 0; i < body.length; i++) if (ALPHANUMERIC.test(String.fromCharCode(body[i]!))) positions.push(i);
    const copy = Buffer.from(body);
    if (positions.length === 0) {
      if (copy.length > 0) copy[0] = copy[0]! ^ 1;
      return copy;
    }
    const at = positions[this.random.below(positions.length)]!;
    const current = String.fromCharCode(copy[at]!);
    let next = current;
    while (next === current) next = ALPHABET[this.random.below(ALPHABET.length)]!;
    copy[at] = next.charCodeAt(0);
    return copy;
  }
}
