/** Shared test plumbing: the app tester, a webhook receiver, Zapier-style header renaming. */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAppTester } from 'zapier-platform-core';
import App from '../src/index.ts';

export { App };
const appTester = createAppTester(App);

/** Runs one app method the way Zapier would (middleware, z object, bundle defaults). Loosely typed: tests pass partial bundles. */
export function run(method: unknown, bundle: Record<string, unknown> = {}): Promise<unknown> {
  return (appTester as unknown as (method: unknown, bundle: unknown) => Promise<unknown>)(method, bundle);
}

/** The operation object of a trigger, create or search. */
export function operation(kind: 'triggers' | 'creates' | 'searches', key: string): Record<string, unknown> {
  const definition = (App[kind] as Record<string, { operation: unknown }> | undefined)?.[key];
  if (!definition) throw new Error(`no ${kind}.${key} in the app`);
  return definition.operation as Record<string, unknown>;
}

/** What a Zapier error says, parsed: z.errors.Error and ThrottledError put JSON in `message`. */
export function describeError(error: unknown): { name: string; message: string; code?: string; status?: number; delay?: number | null } {
  const err = error as Error;
  try {
    const parsed = JSON.parse(err.message) as { message: string; code?: string; status?: number; delay?: number | null };
    return { name: err.name, ...parsed };
  } catch {
    return { name: err.name, message: err.message };
  }
}

export async function caught(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail, it succeeded');
}

export interface CapturedRequest {
  readonly method: string;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** A tiny HTTP endpoint that records every raw request (the hook URL Zapier would give the API). */
export async function startReceiver(): Promise<{ url: string; requests: CapturedRequest[]; waitFor(count: number): Promise<CapturedRequest>; stop(): Promise<void> }> {
  const requests: CapturedRequest[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(req.headers)) if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
      const captured = { method: req.method ?? '', headers, body: Buffer.concat(chunks).toString('utf8') };
      requests.push(captured);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/catch/123/abc/`,
    requests,
    async waitFor(count) {
      const deadline = Date.now() + 5_000;
      while (requests.length < count) {
        if (Date.now() > deadline) throw new Error(`expected ${count} deliveries within 5 s, got ${requests.length}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return requests[count - 1]!;
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Zapier hands hook headers over as `Http-X-Webhook-Signature`: do the same to a captured request. */
export function zapierRawRequest(captured: CapturedRequest): { method: string; querystring: string; headers: Record<string, string>; content: string } {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(captured.headers)) {
    const titled = name
      .split('-')
      .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
      .join('-');
    headers[`Http-${titled}`] = value;
  }
  return { method: captured.method, querystring: '', headers, content: captured.body };
}
