/**
 * One webhook POST on the wire: node:http or node:https by the URL's protocol, a fresh
 * connection each time (no keep-alive agent, so nothing lingers after stop()), a timeout
 * over the whole exchange, and an answer that never rejects: a failure is a value.
 */
import { request as httpRequest, type ClientRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface SendResult {
  /** The answer's status; null when there was none (connection error, timeout, abort). */
  readonly status: number | null;
  readonly ok: boolean;
  /** Why it failed, in words; undefined on success. */
  readonly error?: string;
  /** Real milliseconds from sending to the end of the answer (or the failure). */
  readonly durationMs: number;
}

export class WebhookSender {
  /** Each request on the wire, with how to settle it when stop() aborts it. */
  private readonly inFlight = new Map<ClientRequest, () => void>();
  private closed = false;

  constructor(private readonly timeoutMs: number) {}

  get pending(): number {
    return this.inFlight.size;
  }

  send(url: string, headers: Readonly<Record<string, string>>, body: Buffer): Promise<SendResult> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    if (this.closed) return Promise.resolve({ status: null, ok: false, error: 'the sandbox is stopping', durationMs: 0 });
    return new Promise<SendResult>((resolve) => {
      let target: URL;
      try {
        target = new URL(url);
      } catch {
        resolve({ status: null, ok: false, error: `"${url}" is not a URL`, durationMs: 0 });
        return;
      }
      const request = target.protocol === 'https:' ? httpsRequest : httpRequest;
      let settled = false;
      let status: number | null = null;
      const finish = (result: Omit<SendResult, 'durationMs'>): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.inFlight.delete(req);
        resolve({ ...result, durationMs: elapsed() });
      };
      const req = request(target, {
        method: 'POST',
        agent: false,
        headers: { ...headers, 'Content-Length': String(body.length), Connection: 'close' },
      });
      this.inFlight.set(req, () => finish({ status: null, ok: false, error: 'the sandbox stopped during the delivery' }));
      const timer = setTimeout(() => {
        const error = `no answer within ${this.timeoutMs} ms (timed out)`;
        finish({ status, ok: false, error });
        req.destroy();
      }, this.timeoutMs);
      timer.unref();
      req.on('response', (res) => {
        status = res.statusCode ?? null;
        // The body is not read for anything, but it must be drained for 'end' to come.
        res.resume();
        res.on('end', () => {
          const ok = status !== null && status >= 200 && status < 300;
          finish(ok ? { status, ok } : { status, ok, error: `the endpoint answered ${status}` });
        });
        res.on('error', (error) => finish({ status, ok: false, error: `the answer broke off: ${error.message}` }));
      });
      req.on('error', (error) => {
        finish({ status: null, ok: false, error: `connection failed: ${error.message}` });
      });
      req.end(body);
    });
  }

  /** Aborts every delivery on the wire; later sends fail at once. */
  close(): void {
    this.closed = true;
    for (const [req, abort] of [...this.inFlight]) {
      abort();
      req.destroy();
    }
  }
}
