/**
 * Where events come from: a seeded factory of ids and plausible data, and a steady
 * generator that creates live events at a rate. An event's sample data is drawn from a
 * stream seeded by its own id, so it can be made lazily, on first serve, and still be the
 * same for a seed byte for byte: a 200k-event backlog costs ids, not data, at start-up.
 */
import type { EventType } from '@eventsync/core';
import type { GeneratorTicker, Tickable } from './generator-ticker.js';
import { MonotonicUlid, Random, streamSeed, ulid } from './random.js';

const FIRST_NAMES = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Donald', 'Frances', 'Ken', 'Radia', 'Linus', 'Margaret', 'Tim'];
const LAST_NAMES = ['Lovelace', 'Hopper', 'Turing', 'Dijkstra', 'Liskov', 'Knuth', 'Allen', 'Thompson', 'Perlman', 'Hamilton'];
const DOMAINS = ['example.com', 'example.org', 'example.net'];
const SOURCES = ['website', 'referral', 'phone', 'walk-in', 'zapier'];
const SERVICES = ['inspection', 'maintenance', 'repair', 'consultation', 'installation'];
const CANCEL_REASONS = ['customer_request', 'rescheduled', 'no_show', 'weather'];
const PAYMENT_METHODS = ['card', 'ach', 'cash', 'check'];
const NOTES = ['Called back, left a voicemail.', 'Prefers morning appointments.', 'Asked for a quote by email.', 'Gate code 4411.'];

export class EventFactory {
  private readonly ids: MonotonicUlid;
  private readonly types: Random;
  private readonly commits: Random;

  constructor(
    private readonly seed: number,
    /** Upper bound of the random commit delay. */
    private readonly lagMs: number,
  ) {
    this.ids = new MonotonicUlid(new Random(streamSeed(seed, 'ids')));
    this.types = new Random(streamSeed(seed, 'types'));
    this.commits = new Random(streamSeed(seed, 'commits'));
  }

  /** `prefix` + a ULID of `ms`: record and event ids sort by creation time, even within a millisecond. */
  id(prefix: string, ms: number): string {
    return `${prefix}${this.ids.next(ms)}`;
  }

  /** Uniform in [0, lag]: how long after created_at this write commits. */
  commitDelay(): number {
    return this.lagMs <= 0 ? 0 : this.commits.between(0, Math.floor(this.lagMs));
  }

  pickType(types: readonly EventType[]): EventType {
    return this.types.pick(types);
  }

  /** Plausible data for a type, naming the records the event is about; a function of (seed, event id). */
  sampleData(type: EventType, ms: number, eventId: string): Record<string, unknown> {
    const r = new Random(streamSeed(this.seed, eventId));
    const id = (prefix: string, at: number) => `${prefix}${ulid(at, r)}`;
    const person = () => {
      const first = r.pick(FIRST_NAMES);
      const last = r.pick(LAST_NAMES);
      return { email: `${first}.${last}${r.below(1000)}@${r.pick(DOMAINS)}`.toLowerCase(), name: `${first} ${last}` };
    };
    const customerId = id('cus_', ms - r.below(90 * 86_400_000));
    const amount = r.between(20, 2500) * 100 + r.pick([0, 0, 50, 99]);
    switch (type) {
      case 'lead.created':
        return { lead_id: id('lead_', ms), ...person(), source: r.pick(SOURCES) };
      case 'customer.created':
        return { customer_id: id('cus_', ms), ...person() };
      case 'customer.updated':
        return { customer_id: customerId, ...person(), changed: [r.pick(['name', 'email', 'phone'])] };
      case 'appointment.scheduled':
        return {
          appointment_id: id('appt_', ms),
          customer_id: customerId,
          service: r.pick(SERVICES),
          starts_at: new Date(Math.ceil((ms + r.between(1, 21) * 86_400_000) / 1_800_000) * 1_800_000).toISOString(),
        };
      case 'appointment.completed':
        return { appointment_id: id('appt_', ms - r.below(30 * 86_400_000)), customer_id: customerId, service: r.pick(SERVICES) };
      case 'appointment.cancelled':
        return { appointment_id: id('appt_', ms - r.below(30 * 86_400_000)), customer_id: customerId, reason: r.pick(CANCEL_REASONS) };
      case 'invoice.created':
        return { invoice_id: id('inv_', ms), customer_id: customerId, amount_cents: amount, currency: 'USD' };
      case 'invoice.paid':
        return { invoice_id: id('inv_', ms - r.below(30 * 86_400_000)), customer_id: customerId, amount_cents: amount, currency: 'USD' };
      case 'payment.received':
        return {
          payment_id: id('pay_', ms),
          invoice_id: id('inv_', ms - r.below(30 * 86_400_000)),
          customer_id: customerId,
          amount_cents: amount,
          currency: 'USD',
          method: r.pick(PAYMENT_METHODS),
        };
      case 'note.created':
        return { note_id: id('note_', ms), customer_id: customerId, body: r.pick(NOTES) };
    }
  }
}

export interface SteadyGeneratorHost {
  readonly now: () => number;
  /** Creates one live event of `type` at `ms`. */
  readonly create: (type: EventType, ms: number) => void;
  readonly pickType: (types: readonly EventType[]) => EventType;
  /** Called on every tick, for housekeeping that should follow the clock. */
  readonly onTick?: (now: number) => void;
}

/**
 * Creates events at a steady rate. Each event's created_at is its scheduled instant, not the
 * tick's, so the feed shows an even stream whatever the timer's jitter. The ticker (one for
 * the whole sandbox) calls tick() while the generator runs.
 */
export class SteadyGenerator implements Tickable {
  private running = false;
  private startedAt = 0;
  private made = 0;
  private rate = 0;
  private types: readonly EventType[] = [];
  intervalMs = 1000;

  constructor(
    private readonly host: SteadyGeneratorHost,
    private readonly ticker: GeneratorTicker,
  ) {}

  get ratePerSecond(): number {
    return this.running ? this.rate : 0;
  }

  start(ratePerSecond: number, types: readonly EventType[]): void {
    this.stop();
    if (ratePerSecond <= 0) return;
    this.rate = ratePerSecond;
    this.types = types;
    this.startedAt = this.host.now();
    this.made = 0;
    this.intervalMs = Math.min(1000, Math.max(10, Math.floor(1000 / ratePerSecond)));
    this.running = true;
    this.ticker.add(this);
  }

  stop(): void {
    if (!this.running) return;
    this.running = false;
    this.ticker.remove(this);
  }

  tick(): void {
    const now = this.host.now();
    const due = Math.floor(((now - this.startedAt) * this.rate) / 1000);
    const gap = 1000 / this.rate;
    for (; this.made < due; this.made++) {
      const ms = Math.min(now, Math.floor(this.startedAt + (this.made + 1) * gap));
      this.host.create(this.host.pickType(this.types), ms);
    }
    this.host.onTick?.(now);
  }
}
