import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach } from 'vitest';

export interface Received {
  readonly headers: IncomingHttpHeaders;
  /** The raw body bytes, exactly as they arrived. */
  readonly raw: Buffer;
  readonly text: string;
  /** Date.now() on arrival. */
  readonly at: number;
  /** Settles when the connection closes (answered, or abandoned by the sender). */
  readonly closed: Promise<void>;
}

export interface Receiver {
  readonly url: string;
  readonly received: Received[];
  /** The status to answer each request with (by its arrival index); 'hang' never answers. Default 200. */
  respond: (request: Received, index: number) => number | 'hang';
  /** Resolves once `count` requests have arrived; fails after `timeoutMs`. */
  waitFor(count: number, timeoutMs?: number): Promise<Received[]>;
  close(): Promise<void>;
}

const open: Receiver[] = [];

afterEach(async () => {
  await Promise.all(open.splice(0).map((receiver) => receiver.close()));
});

/** A tiny webhook endpoint on a loopback port that records raw bodies and headers; closed after the test. */
export async function startReceiver(respond: Receiver['respond'] = () => 200): Promise<Receiver> {
  const received: Received[] = [];
  const waiters: Array<() => void> = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const closed = new Promise<void>((resolve) => res.on('close', () => resolve()));
      const entry: Received = { headers: req.headers, raw, text: raw.toString('utf8'), at: Date.now(), closed };
      const index = received.push(entry) - 1;
      for (const wake of waiters.splice(0)) wake();
      const status = receiver.respond(entry, index);
      if (status === 'hang') return;
      res.writeHead(status, { 'content-type': 'text/plain' });
      res.end(status >= 200 && status < 300 ? 'ok' : 'no');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const receiver: Receiver = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`,
    received,
    respond,
    async waitFor(count, timeoutMs = 3000) {
      const deadline = Date.now() + timeoutMs;
      while (received.length < count) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`expected ${count} deliveries within ${timeoutMs} ms, got ${received.length}`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          waiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
      return received.slice(0, count);
    },
    close() {
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
  open.push(receiver);
  return receiver;
}

/** Waits `ms` of real time: for asserting that nothing more arrives. */
export function quiet(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
