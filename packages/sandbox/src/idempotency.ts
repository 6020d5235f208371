/**
 * Idempotency-Key on POST (docs/api-contract.md, Records): a retried create returns the
 * first answer and creates nothing. Only successful answers are remembered, so a request
 * that failed validation can be fixed and sent again under the same key.
 */
import { ApiFailure, invalidParameter } from './errors.js';
import type { Reply, RequestContext, Route } from './router.js';

const DAY_MS = 24 * 60 * 60 * 1000;
const MAX_IDEMPOTENCY_KEY = 255;
/** Sweep expired entries after this many stores, so memory follows the 24 h window. */
const SWEEP_EVERY = 1000;

export interface StoredAnswer {
  readonly fingerprint: string;
  readonly status: number;
  readonly text: string;
  readonly expiresAt: number;
}

export class IdempotencyStore {
  private readonly answers = new Map<string, StoredAnswer>();
  private storesSinceSweep = 0;

  constructor(private readonly ttlMs = DAY_MS) {}

  lookup(apiKey: string, idempotencyKey: string, now: number): StoredAnswer | undefined {
    const id = `${apiKey}\u0000${idempotencyKey}`;
    const answer = this.answers.get(id);
    if (answer && answer.expiresAt <= now) {
      this.answers.delete(id);
      return undefined;
    }
    return answer;
  }

  store(apiKey: string, idempotencyKey: string, answer: Omit<StoredAnswer, 'expiresAt'>, now: number): void {
    this.answers.set(`${apiKey}\u0000${idempotencyKey}`, { ...answer, expiresAt: now + this.ttlMs });
    if (++this.storesSinceSweep >= SWEEP_EVERY) {
      this.storesSinceSweep = 0;
      for (const [id, stored] of this.answers) if (stored.expiresAt <= now) this.answers.delete(id);
    }
  }
}

/**
 * The route's reply, or the stored reply of an earlier request under the same key (marked
 * `Idempotent-Replayed`). Routes that do not honour the header, and requests without it, just run.
 */
export async function idempotentReply(route: Route, context: RequestContext, store: IdempotencyStore): Promise<Reply> {
  const idempotencyKey = route.idempotent ? headerValue(context, 'idempotency-key') : undefined;
  if (idempotencyKey === undefined) return route.handle(context);
  if (idempotencyKey.length > MAX_IDEMPOTENCY_KEY) {
    throw invalidParameter('Idempotency-Key', `Idempotency-Key must be at most ${MAX_IDEMPOTENCY_KEY} characters`);
  }
  const print = fingerprint(context.method, context.path, context.rawBody);
  const earlier = store.lookup(context.key.key, idempotencyKey, context.now);
  if (earlier) {
    if (earlier.fingerprint !== print) {
      throw new ApiFailure(
        409,
        'conflict',
        'this Idempotency-Key was already used for a different request in the last 24 hours; use a new key for a new request',
      );
    }
    return { status: earlier.status, text: earlier.text, headers: { 'Idempotent-Replayed': 'true' } };
  }
  const reply = await route.handle(context);
  const text = reply.text ?? JSON.stringify(reply.body);
  if (reply.status >= 200 && reply.status < 300) {
    store.store(context.key.key, idempotencyKey, { fingerprint: print, status: reply.status, text }, context.now);
  }
  return { ...reply, text };
}

/**
 * What makes two requests "the same": method, path and the body's JSON with keys sorted,
 * so a client that re-serialises the body in another key order is not refused.
 */
export function fingerprint(method: string, path: string, rawBody: string): string {
  let canonical = rawBody;
  try {
    canonical = stableStringify(JSON.parse(rawBody));
  } catch {
    // Not JSON: compare the bytes; the handler refuses it anyway.
  }
  return `${method} ${path}\n${canonical}`;
}

function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${stableStringify((value as Record<string, unknown>)[key])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

function headerValue(context: RequestContext, name: string): string | undefined {
  const value = context.headers[name];
  const text = Array.isArray(value) ? value[0] : value;
  return text === undefined || text === '' ? undefined : text;
}
