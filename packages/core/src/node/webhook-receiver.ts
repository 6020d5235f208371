/**
 * The webhook endpoint on node:http: reads the raw bytes (up to a size limit), lets the
 * intake verify them before anything is parsed, answers at once (2xx verified, 401 bad
 * signature, 400 not an event, 413 too large), and writes the event after answering, so
 * a slow disk never makes the dispatcher's 10 s timeout fire.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { WebhookIntake } from '../webhook-intake.js';

export interface WebhookReceiverOptions {
  readonly intake: WebhookIntake;
  readonly port: number;
  /** Default 127.0.0.1; use 0.0.0.0 behind a tunnel or proxy that needs it. */
  readonly host?: string;
  /** Default `/webhooks`. */
  readonly path?: string;
  /** Default 1 MiB. */
  readonly maxBodyBytes?: number;
  /** A write that failed after the 2xx: the poller will fetch that event, but say so. */
  readonly onProcessError?: (error: unknown) => void;
}

export interface WebhookReceiver {
  /** e.g. http://127.0.0.1:8787/webhooks */
  readonly url: string;
  close(): Promise<void>;
}

export async function startWebhookReceiver(options: WebhookReceiverOptions): Promise<WebhookReceiver> {
  const path = options.path ?? '/webhooks';
  const limit = options.maxBodyBytes ?? 1024 * 1024;
  const server = http.createServer((req, res) => {
    const reply = (status: number, message: string): void => {
      res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify({ status, message }));
    };
    if ((req.url ?? '').split('?')[0] !== path) return void reply(404, `deliveries go to ${path}`);
    if (req.method !== 'POST') return void reply(405, 'deliveries are POSTs');
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reply(413, `the body is over ${limit} bytes`);
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (size > limit) return;
      const verdict = options.intake.check(Buffer.concat(chunks), req.headers);
      if (!verdict.ok) return void reply(verdict.status, verdict.message);
      reply(200, 'received');
      verdict.process().catch((error: unknown) => options.onProcessError?.(error));
    });
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host && options.host !== '0.0.0.0' ? options.host : '127.0.0.1';
  return {
    url: `http://${host}:${port}${path}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
