/**
 * The webhook endpoint on node:http: reads the raw bytes (up to a size limit), lets the
 * intake verify them before anything is parsed, and answers: 401 bad signature, 400 not an
 * event, 413 too large, and 200 once the event is committed (deliveries arriving together
 * share one commit), or at once if asked to (`acknowledge`).
 *
 * It is reachable by anyone who learns its URL, so it does not wait on slow clients: Node's
 * own limits (60 s for headers, 300 s for a request, checked every 30 s) would let twenty
 * connections trickling a byte a second sit there for minutes. A real delivery is a few
 * KiB sent at once by a dispatcher that gives up after 10 s, so headers and the whole
 * request get a few seconds each (DEFAULTS below; then 408 and closed); a body over the cap
 * is refused with 413 from its Content-Length before a byte of it is read (a chunked one
 * where it crosses the cap), and connections beyond a cap are closed on arrival. None of
 * this touches a delivery that arrives in one go.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { InvalidInputError } from '../errors.js';
import type { IntakeVerdict, WebhookIntake } from '../webhook-intake.js';

export interface WebhookReceiverOptions {
  /** One endpoint: deliveries to `path` go to this intake. Give this or `route`. */
  readonly intake?: WebhookIntake;
  /**
   * Many endpoints on one port (`eventsync run`): a delivery to `<path>/<name>` goes to the
   * intake this returns for `name`; none is a 404. Give this or `intake`.
   */
  readonly route?: (name: string) => WebhookIntake | undefined;
  readonly port: number;
  /** Default 127.0.0.1; use 0.0.0.0 behind a tunnel or proxy that needs it. */
  readonly host?: string;
  /** Default `/webhooks`. */
  readonly path?: string;
  /** Default 1 MiB. A larger body is answered 413 without being read. */
  readonly maxBodyBytes?: number;
  /** From connecting (or the previous answer) to the end of the headers; default 5 s. Then 408 and closed. */
  readonly headersTimeoutMs?: number;
  /** For the whole request, body included; default 8 s, inside the API's 10 s delivery timeout. Then 408 and closed. */
  readonly requestTimeoutMs?: number;
  /**
   * Connections open at once; further ones are closed on arrival. Default 1024: it bounds
   * memory and descriptors against a flood, yet a dispatcher opening a connection per
   * delivery (the sandbox does, 1,600 a second in test/chaos.e2e.test.ts) stays well under it.
   */
  readonly maxConnections?: number;
  /**
   * When a verified delivery is answered 200: once it is committed (`durable`, the default:
   * the API retries anything not acknowledged, so nothing rests on polling to refill it), or
   * at once (`received`, the write follows; a crash after the answer leaves the event to the
   * engine's polling). bench/webhook-receiver.ts measures both.
   */
  readonly acknowledge?: 'durable' | 'received';
  /** A write that failed (after the answer, or before it: then the answer is 503 and the API retries). */
  readonly onProcessError?: (error: unknown) => void;
}

export interface WebhookReceiver {
  /** e.g. http://127.0.0.1:8787/webhooks; with `route`, each endpoint is this plus `/<name>`. */
  readonly url: string;
  close(): Promise<void>;
}

const DEFAULTS = { maxBodyBytes: 1024 * 1024, headersTimeoutMs: 5_000, requestTimeoutMs: 8_000, maxConnections: 1024 };

/** How long a refused client may go on sending, unread, before its connection is closed anyway. */
const LINGER_MS = 2_000;

export async function startWebhookReceiver(options: WebhookReceiverOptions): Promise<WebhookReceiver> {
  const path = options.path ?? '/webhooks';
  const limits = checkLimits(options);
  const findIntake = intakeFinder(options, path);
  const tooLarge = (req: http.IncomingMessage): boolean => Number(req.headers['content-length']) > limits.maxBodyBytes;
  const refuseTooLarge = (req: http.IncomingMessage, res: http.ServerResponse): void =>
    answerAndClose(req, res, 413, `the body is over ${limits.maxBodyBytes} bytes`);

  const atTurnEnd = turnBatcher();
  const handle = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const reply = (status: number, message: string): void => {
      res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify({ status, message }));
    };
    const intake = findIntake((req.url ?? '').split('?')[0]!);
    if (typeof intake === 'string') return void reply(404, intake);
    if (req.method !== 'POST') return void reply(405, 'deliveries are POSTs');
    if (tooLarge(req)) return refuseTooLarge(req, res);
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    req.on('data', (chunk: Buffer) => {
      if (refused) return;
      size += chunk.length;
      if (size > limits.maxBodyBytes) {
        // A chunked body has no length to judge up front: it is refused where it crosses the cap.
        refused = true;
        chunks.length = 0;
        refuseTooLarge(req, res);
        return;
      }
      chunks.push(chunk);
    });
    const answer = (verdict: IntakeVerdict): void => {
      if (!verdict.ok) {
        if (verdict.recheck) return void verdict.recheck().then(answer);
        return void reply(verdict.status, verdict.message);
      }
      if (options.acknowledge === 'received') {
        reply(200, 'received');
        atTurnEnd(() => verdict.process().catch((error: unknown) => options.onProcessError?.(error)));
        return;
      }
      atTurnEnd(() =>
        verdict.process().then(
          () => reply(200, 'stored'),
          (error: unknown) => {
            options.onProcessError?.(error);
            reply(503, 'not stored; deliver again later');
          },
        ),
      );
    };
    req.on('end', () => {
      if (!refused) answer(intake.check(Buffer.concat(chunks), req.headers));
    });
  };

  const server = http.createServer(
    {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      // Node enforces both timeouts only on this tick (30 s by default, longer than either):
      // a quarter of a second keeps the 8 s request timeout from stretching towards 10 s.
      connectionsCheckingInterval: Math.max(10, Math.min(250, Math.floor(limits.headersTimeoutMs / 5))),
    },
    handle,
  );
  server.keepAliveTimeout = 5_000;
  server.maxConnections = limits.maxConnections;
  // Without this listener Node answers `Expect: 100-continue` itself, inviting the body in.
  server.on('checkContinue', (req: http.IncomingMessage, res: http.ServerResponse) => {
    if (tooLarge(req)) return refuseTooLarge(req, res);
    res.writeContinue();
    handle(req, res);
  });
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

/** The intake for a request's path, or what to say in the 404. */
function intakeFinder(options: WebhookReceiverOptions, path: string): (requestPath: string) => WebhookIntake | string {
  const { intake, route } = options;
  if ((intake === undefined) === (route === undefined)) throw new InvalidInputError('give the receiver one intake or a route, not both or neither', 'intake');
  if (intake) return (requestPath) => (requestPath === path ? intake : `deliveries go to ${path}`);
  const prefix = `${path}/`;
  return (requestPath) => {
    const name = requestPath.startsWith(prefix) ? requestPath.slice(prefix.length) : '';
    return (name && route!(name)) || `deliveries go to ${prefix}<connection>; no connection is named "${name.slice(0, 64)}"`;
  };
}

/**
 * Answers, then closes without taking in the rest of the body. Closing a socket that still
 * has unread bytes makes the kernel reset the connection, and the reset discards the
 * answer before a client busy sending has read it (it sees ECONNRESET, not the 413). So
 * the whole answer goes out with a FIN after it, what still arrives is read and dropped,
 * and the socket closes once the client has finished sending or after LINGER_MS.
 */
function answerAndClose(req: http.IncomingMessage, res: http.ServerResponse, status: number, message: string): void {
  const body = JSON.stringify({ status, message });
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), Connection: 'close' });
  // write, not end: after end() Node closes the socket as soon as the answer is flushed.
  res.write(body);
  const socket = req.socket;
  socket.end();
  const close = (): void => void (socket.writableFinished ? socket.destroy() : socket.once('finish', () => socket.destroy()));
  const timer = setTimeout(close, LINGER_MS);
  socket.once('close', () => clearTimeout(timer));
  req.once('end', close);
  req.resume();
}

function checkLimits(options: WebhookReceiverOptions): typeof DEFAULTS {
  const limits = {
    maxBodyBytes: options.maxBodyBytes ?? DEFAULTS.maxBodyBytes,
    headersTimeoutMs: options.headersTimeoutMs ?? DEFAULTS.headersTimeoutMs,
    requestTimeoutMs: options.requestTimeoutMs ?? DEFAULTS.requestTimeoutMs,
    maxConnections: options.maxConnections ?? DEFAULTS.maxConnections,
  };
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value <= 0) throw new InvalidInputError(`${name} must be a whole number above 0; got ${String(value)}`, name);
  }
  if (limits.headersTimeoutMs > limits.requestTimeoutMs) {
    throw new InvalidInputError(`headersTimeoutMs (${limits.headersTimeoutMs}) must not exceed requestTimeoutMs (${limits.requestTimeoutMs})`, 'headersTimeoutMs');
  }
  return limits;
}

/**
 * Runs the tasks it is given at the end of the event loop's current turn, together. Verified
 * deliveries go to the sink this way: requests that arrive at once are read in one turn, and
 * handing each over as its body ended started a commit with the first alone, leaving the rest
 * to wait a whole commit for the next (the engine groups what arrives while a write is under
 * way). One commit for all of them: 13% more deliveries a second (bench/webhook-receiver.ts).
 */
function turnBatcher(): (task: () => void) => void {
  let queued: Array<() => void> = [];
  const runQueued = (): void => {
    const tasks = queued;
    queued = [];
    for (const task of tasks) task();
  };
  return (task) => {
    if (queued.push(task) === 1) setImmediate(runQueued);
  };
}
