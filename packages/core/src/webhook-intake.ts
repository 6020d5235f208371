/**
 * Webhook deliveries into the sync: verify the raw bytes, then parse, then hand the event
 * to the poller's door (`accept`), which writes it once and records it in the checkpoint.
 * Split in two so an HTTP layer can answer 2xx as soon as a delivery is verified and write
 * it after: the dispatcher's 10 s timeout never depends on the sink.
 */
import type { SignatureSettings } from './config.js';
import type { Poller } from './poller.js';
import { SignatureError, verifyWebhook, type HeaderBag, type RawBody } from './signatures.js';
import type { EventEnvelope } from './types.js';

export interface WebhookIntakeOptions {
  readonly poller: Pick<Poller, 'accept'>;
  readonly signature: SignatureSettings;
  /** Read on every delivery, so a rotation takes effect without a restart. Current secret first. */
  readonly secrets: () => readonly string[];
  readonly now: () => number;
}

export type IntakeVerdict =
  | { readonly ok: true; readonly event: EventEnvelope; readonly deliveryId: string | undefined; readonly process: () => Promise<number> }
  | { readonly ok: false; readonly status: 400 | 401; readonly message: string };

export interface IntakeStats {
  received: number;
  rejectedSignatures: number;
  malformed: number;
}

export class WebhookIntake {
  readonly stats: IntakeStats = { received: 0, rejectedSignatures: 0, malformed: 0 };

  constructor(private readonly options: WebhookIntakeOptions) {}

  /** Checks one delivery. Nothing is parsed before the signature holds. */
  check(rawBody: RawBody, headers: HeaderBag): IntakeVerdict {
    this.stats.received++;
    let deliveryId: string | undefined;
    try {
      ({ deliveryId } = verifyWebhook({
        settings: this.options.signature,
        rawBody,
        headers,
        secrets: this.options.secrets(),
        now: this.options.now(),
      }));
    } catch (error) {
      if (!(error instanceof SignatureError)) throw error;
      this.stats.rejectedSignatures++;
      return { ok: false, status: 401, message: error.message };
    }
    const event = parseEnvelope(rawBody);
    if (!event) {
      this.stats.malformed++;
      return { ok: false, status: 400, message: 'the body is not an event envelope ({ id, type, created_at, data })' };
    }
    // The test endpoint's ping proves the wiring; it is not an event of the feed.
    const process = event.type === 'webhook.test' ? async () => 0 : () => this.options.poller.accept([event]);
    return { ok: true, event, deliveryId, process };
  }
}

function parseEnvelope(rawBody: RawBody): EventEnvelope | undefined {
  let value: unknown;
  try {
    value = JSON.parse(typeof rawBody === 'string' ? rawBody : new TextDecoder().decode(rawBody));
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { id, type, created_at: createdAt, data } = value as Record<string, unknown>;
  const valid =
    typeof id === 'string' && typeof type === 'string' && typeof createdAt === 'string' && !Number.isNaN(Date.parse(createdAt)) && typeof data === 'object';
  return valid ? (value as EventEnvelope) : undefined;
}
