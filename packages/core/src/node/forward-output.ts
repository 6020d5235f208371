/**
 * An output that POSTs each event, signed the way the API signs deliveries, to a webhook
 * handler that already exists: polling then fills that handler's gaps with the very
 * envelope and headers it accepts. Nothing can be taken back from a handler, so after a
 * crash an event may be sent again; handlers dedupe by event id, as the API requires of
 * them anyway. The delivery id is derived from the event id, so a resend
 * looks like a retry.
 */
import type { SignatureSettings } from '../config.js';
import { NetworkError } from '../errors.js';
import type { EventOutput } from './output-storage.js';
import { deliveryHeaders } from '../signatures.js';
import type { EventEnvelope } from '../types.js';

export interface ForwardOutputOptions {
  readonly url: string;
  /** The secret the handler verifies with. */
  readonly secret: string;
  readonly signature: SignatureSettings;
  /** Deliveries in flight at once. Default 4. */
  readonly concurrency?: number;
  /** Per delivery, as the API's dispatcher allows. Default 10 s. */
  readonly timeoutMs?: number;
}

export class ForwardOutput implements EventOutput {
  readonly description: string;

  constructor(private readonly options: ForwardOutputOptions) {
    this.description = options.url;
  }

  async write(events: readonly EventEnvelope[]): Promise<void> {
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < events.length) await this.send(events[next++]!);
    };
    await Promise.all(Array.from({ length: Math.min(this.options.concurrency ?? 4, events.length) }, worker));
  }

  async close(): Promise<void> {}

  private async send(event: EventEnvelope): Promise<void> {
    const body = JSON.stringify(event);
    const headers = deliveryHeaders(this.options.signature, {
      secrets: [this.options.secret],
      body,
      timestamp: Math.floor(Date.now() / 1000),
      id: `fwd_${event.id}`,
      eventType: event.type,
    });
    let response: Response;
    try {
      response = await fetch(this.options.url, {
        method: 'POST',
        headers: { ...headers, 'Content-Type': 'application/json' },
        body,
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
      });
    } catch (error) {
      const timedOut = error instanceof Error && error.name === 'TimeoutError';
      throw new NetworkError(`forwarding ${event.id} to ${this.options.url} failed: ${timedOut ? 'no answer in time' : 'cannot connect'}`, {}, timedOut ? 'timeout' : 'refused');
    }
    await response.body?.cancel();
    if (response.status < 200 || response.status >= 300) {
      // The handler is having a moment (or rejects the signature): the poller waits and sends again.
      throw new NetworkError(`forwarding ${event.id} to ${this.options.url} failed: the handler answered ${response.status}`, { status: response.status }, 'other');
    }
  }
}
