/**
 * Webhook deliveries into the sync: verify the raw bytes, then parse, then hand the event
 * to the poller's door (`accept`), which writes it once and records it in the checkpoint.
 * Split in two so an HTTP layer can answer 2xx as soon as a delivery is verified and write
 * it after: the dispatcher's 10 s timeout never depends on the sink.
 */
import { TEST_EVENT_TYPE, type SignatureSettings } from './config.js';
import { BoundedIdSet, type DedupeStore } from './dedupe.js';
import type { SyncEngine } from './sync-engine.js';
import { createVerifier, type HeaderBag, type RawBody, type Verifier } from './signatures.js';
import type { EventEnvelope } from './types.js';

export interface WebhookIntakeOptions {
  readonly poller: Pick<SyncEngine, 'accept'>;
  readonly signature: SignatureSettings;
  /** Read on every delivery, so a rotation takes effect without a restart. Current secret first. */
  readonly secrets: () => readonly string[];
  /**
   * Set while a secret is on its way (a rotation's new subscription is being created: the API
   * may sign deliveries with its secret before the answer that tells it arrives here). A
   * delivery no current secret verifies then waits for it and is checked again, instead of
   * being refused.
   */
  readonly secretArriving?: () => Promise<void> | undefined;
  readonly now: () => number;
  /**
   * Ids this process has written, to turn away retried deliveries before they queue for the
   * sink. Only a shortcut: the checkpoint decides. Default: the last 100,000.
   */
  readonly recent?: DedupeStore;
}

export type IntakeVerdict =
  | { readonly ok: true; readonly event: EventEnvelope; readonly deliveryId: string | undefined; readonly process: () => Promise<number> }
  | {
      readonly ok: false;
      readonly status: 400 | 401;
      readonly message: string;
      /** Set when a secret is on its way (`secretArriving`): the verdict once it is here; answer that one instead. */
      readonly recheck?: () => Promise<IntakeVerdict>;
    };

export interface IntakeStats {
  received: number;
  rejectedSignatures: number;
  malformed: number;
  /** Deliveries of an event this process had already written (webhook retries, duplicates). */
  repeated: number;
}

export class WebhookIntake {
  readonly stats: IntakeStats = { received: 0, rejectedSignatures: 0, malformed: 0, repeated: 0 };
  private readonly recent: DedupeStore;
  /** Built for the secrets it was last given; rebuilt when they change (a rotation). */
  private verifier: { readonly secrets: readonly string[]; readonly verifier: Verifier } | undefined;

  constructor(private readonly options: WebhookIntakeOptions) {
    this.recent = options.recent ?? new BoundedIdSet(100_000);
  }

  /** Checks one delivery. Nothing is parsed before the signature holds. */
  check(rawBody: RawBody, headers: HeaderBag): IntakeVerdict {
    this.stats.received++;
    return this.judge(rawBody, headers);
  }

  /** `mayWait`: a delivery waits for one arriving secret at most, then has its answer. */
  private judge(rawBody: RawBody, headers: HeaderBag, mayWait = true): IntakeVerdict {
    const verdict = this.currentVerifier().check({ rawBody, headers, now: this.options.now() });
    if (!verdict.ok) {
      const arriving = mayWait ? this.options.secretArriving?.() : undefined;
      if (arriving) {
        const again = (): IntakeVerdict => this.judge(rawBody, headers, false);
        return { ok: false, status: 401, message: verdict.message, recheck: () => arriving.then(again, again) };
      }
      this.stats.rejectedSignatures++;
      return { ok: false, status: 401, message: verdict.message };
    }
    const { deliveryId } = verdict;
    const event = parseEnvelope(rawBody);
    if (!event) {
      this.stats.malformed++;
      return { ok: false, status: 400, message: 'the body is not an event envelope ({ id, type, created_at, data })' };
    }
    return { ok: true, event, deliveryId, process: () => this.process(event) };
  }

  private currentVerifier(): Verifier {
    const secrets = this.options.secrets();
    const built = this.verifier;
    if (built && built.secrets.length === secrets.length && built.secrets.every((secret, i) => secret === secrets[i])) return built.verifier;
    const verifier = createVerifier(this.options.signature, secrets);
    this.verifier = { secrets: [...secrets], verifier };
    return verifier;
  }

  private async process(event: EventEnvelope): Promise<number> {
    // The test endpoint's ping proves the wiring; it is not an event of the feed.
    if (event.type === TEST_EVENT_TYPE) return 0;
    if (this.recent.has(event.id)) {
      this.stats.repeated++;
      return 0;
    }
    const written = await this.options.poller.accept([event]);
    // Remembered only once safely handled, so a failed write never turns a retry away.
    this.recent.add(event.id);
    return written;
  }
}

/** Shared: building a decoder costs more than decoding a delivery, and `decode` without `stream` keeps no state. */
const UTF8 = new TextDecoder();

/** The delivered body as an event envelope, or undefined when it is not JSON of that shape. */
export function parseEnvelope(rawBody: RawBody): EventEnvelope | undefined {
  let value: unknown;
  try {
    value = JSON.parse(typeof rawBody === 'string' ? rawBody : UTF8.decode(rawBody));
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { id, type, created_at: createdAt, data } = value as Record<string, unknown>;
  const valid =
    typeof id === 'string' && typeof type === 'string' && typeof createdAt === 'string' && !Number.isNaN(Date.parse(createdAt)) && typeof data === 'object';
  return valid ? (value as EventEnvelope) : undefined;
}
