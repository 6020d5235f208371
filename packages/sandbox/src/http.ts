/** Low-level request and response helpers: body reading with a cap, and writing JSON answers. */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Bodies above this are refused: the largest legitimate body (a batch of 100) is far smaller. */
export const MAX_BODY_BYTES = 1024 * 1024;

/** The body as text, or undefined when it exceeded MAX_BODY_BYTES (the rest is read and dropped). */
export function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(tooLarge ? undefined : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export function writeJson(res: ServerResponse, status: number, text: string, headers: Readonly<Record<string, string>>): void {
  if (res.destroyed) return;
  for (const name in headers) res.setHeader(name, headers[name]!);
  if (status === 204) {
    res.writeHead(status);
    res.end();
    return;
  }
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(text));
  res.writeHead(status);
  res.end(text);
}

/** Loopback peers only: the admin routes have no auth, so they must not be reachable from elsewhere. */
export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  return address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
}
