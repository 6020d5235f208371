/** Scenarios the limiter's end-to-end tests run both within one process and through Redis. */
import { createNodeClient, type NodeClient, type NodeClientOptions } from '@eventsync/core/node';
import { startLoopbackApi, tooManyRequests, type Arrival } from './loopback-api.js';

export const MID_QUEUE_POLICY = 'read:2/500ms';
export const MID_QUEUE_RETRY_AFTER_MS = 2_000;

export interface MidQueueOutcome {
  readonly arrivals: readonly Arrival[];
  readonly refused: Arrival;
  readonly results: readonly PromiseSettledResult<unknown>[];
}

/**
 * Eight concurrent calls through one Node client under `read:2/500ms`. The third request to
 * arrive is refused (429, Retry-After: 2), answered 30 ms late so that the fourth, sent with
 * it, is answered first: when the 429 lands, the last four callers are waiting for slots.
 */
export async function a429WhileCallersWait(apiKey: string, options: NodeClientOptions = {}): Promise<MidQueueOutcome> {
  const api = await startLoopbackApi((index) =>
    index === 2 ? { ...tooManyRequests(MID_QUEUE_RETRY_AFTER_MS / 1000, MID_QUEUE_POLICY), delayMs: 30 } : { status: 200 },
  );
  const client = createNodeClient({ baseUrl: api.url, apiKey, policies: { read: MID_QUEUE_POLICY } }, options);
  try {
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => ping(client)));
    return { arrivals: api.arrivals, refused: api.arrivals.find((arrival) => arrival.status === 429)!, results };
  } finally {
    client.close();
    await api.close();
  }
}

/** Requests that reached the server after the 429 was answered and before its Retry-After ended, as ms after the 429. */
export function arrivedDuringRetryAfter(outcome: MidQueueOutcome): number[] {
  const from = outcome.refused.answeredAt!;
  return outcome.arrivals
    .filter((arrival) => arrival.at > from && arrival.at < from + MID_QUEUE_RETRY_AFTER_MS)
    .map((arrival) => Math.round(arrival.at - from));
}

export function ping(client: NodeClient): Promise<unknown> {
  return client.api.request({ method: 'GET', path: '/ping' });
}

/** The promise's value or error if it settles within `ms`, else the string `still waiting`. */
export async function settledWithin(promise: Promise<unknown>, ms: number): Promise<unknown> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve('still waiting'), ms);
  });
  try {
    return await Promise.race([promise.then((value) => value, (error: unknown) => error), late]);
  } finally {
    clearTimeout(timer);
  }
}
