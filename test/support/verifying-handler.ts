/**
 * A webhook handler for replay tests: it verifies each delivery on its raw bytes, as the API
 * requires of handlers, answers 401 to what does not verify, and keeps what it accepted (the
 * events and their delivery ids) in arrival order.
 */
import http from 'node:http';
import { PRESETS, verifyWebhook, type EventEnvelope } from '@eventsync/core';

export interface VerifyingHandler {
  readonly url: string;
  readonly received: EventEnvelope[];
  readonly deliveryIds: string[];
  rejected: number;
  close(): Promise<void>;
}

/** Verifies with the integration preset's signature settings (the CLI's default preset). */
export async function verifyingHandler(secret: string): Promise<VerifyingHandler> {
  const handler = { received: [] as EventEnvelope[], deliveryIds: [] as string[], rejected: 0 };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      try {
        verifyWebhook({ settings: PRESETS.integration.signature, rawBody: body, headers: req.headers, secrets: secret, now: Date.now() });
      } catch {
        handler.rejected++;
        return void res.writeHead(401).end();
      }
      handler.received.push(JSON.parse(body.toString()) as EventEnvelope);
      handler.deliveryIds.push(String(req.headers[PRESETS.integration.signature.deliveryIdHeader.toLowerCase()]));
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return Object.assign(handler, {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}/hook`,
    close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  });
}
