/**
 * A stand-in for the API on loopback, for tests that must see exactly when each request
 * reached the server: it records every arrival and answers as the test says. It runs in the
 * test's own process, so its clock (`performance.now()`) is the test's.
 */
import http from 'node:http';

export interface Reply {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: unknown;
  /** Hold the answer this long after the request arrived. */
  readonly delayMs?: number;
}

export interface Arrival {
  /** 0 for the first request the server saw. */
  readonly index: number;
  readonly at: number;
  status?: number;
  /** When the answer was written. */
  answeredAt?: number;
}

export interface LoopbackApi {
  /** Origin to give the client as `baseUrl`. */
  readonly url: string;
  readonly arrivals: readonly Arrival[];
  close(): Promise<void>;
}

export async function startLoopbackApi(reply: (index: number) => Reply = () => ({ status: 200 })): Promise<LoopbackApi> {
  const arrivals: Arrival[] = [];
  const server = http.createServer((req, res) => {
    const arrival: Arrival = { index: arrivals.length, at: performance.now() };
    arrivals.push(arrival);
    req.resume();
    const answer = reply(arrival.index);
    setTimeout(() => {
      arrival.status = answer.status;
      arrival.answeredAt = performance.now();
      res.writeHead(answer.status, { 'Content-Type': 'application/json', ...answer.headers });
      res.end(JSON.stringify(answer.body ?? {}));
    }, answer.delayMs ?? 0);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    arrivals,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A 429 as the API writes it: Retry-After in seconds and the policy it enforces. */
export function tooManyRequests(retryAfterSeconds: number, policy: string): Reply {
  return {
    status: 429,
    headers: { 'Retry-After': String(retryAfterSeconds) },
    body: { error: { code: 'rate_limited', message: `rate limit ${policy} exceeded`, policy } },
  };
}
