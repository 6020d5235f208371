/**
 * One request, done right: auth header, base path, limiter, typed errors, retries. Every
 * higher-level call (feed, records, subscriptions) goes through `ApiClient.request`.
 */
import { randomUUID } from 'node:crypto';
import { authHeaders, checkApiKey, keyHint, resolveConfig, type BucketKind, type ClientConfig, type ResolvedConfig } from './config.js';
import { errorFromResponse, errorFromTransport, type FailureContext } from './error-mapping.js';
import { AuthError, ResponseFormatError, StoppedError, type EventsyncError } from './errors.js';
import { readResponse } from './response-reading.js';
import { decideRetry } from './retry.js';
import { ServerClock } from './server-clock.js';
import { UNLIMITED, type HttpMethod, type HttpRequest, type HttpResponse, type Limiter, type Runtime } from './transport.js';

export type QueryValue = string | number | boolean | undefined;

export interface RequestOptions {
  readonly method: HttpMethod;
  /** Path under the base path, e.g. `/events`. */
  readonly path: string;
  readonly query?: Readonly<Record<string, QueryValue>>;
  readonly body?: unknown;
  /** Which rate-limit bucket the call counts against; GET reads, everything else writes. */
  readonly bucket?: BucketKind;
  /**
   * Makes a call safe to repeat. A POST always carries one (generated when absent; `false`
   * sends none, and then it is never retried); other methods send one only when given.
   */
  readonly idempotencyKey?: string | false;
  /** Overrides the configured attempt budget for this call (a start-up check should fail fast). */
  readonly maxAttempts?: number;
  /**
   * Stops the call: a wait for a rate-limit slot, a Retry-After or a back-off ends at once,
   * a request on the wire is abandoned, and the call rejects with StoppedError.
   */
  readonly signal?: AbortSignal;
}

/** The latest rate-limit reading of a bucket, for status lines. */
export interface BucketReading {
  readonly limit: number | undefined;
  readonly remaining: number | undefined;
  readonly at: number;
}

export interface ClientStats {
  requests: number;
  retries: number;
  rateLimited: number;
  unavailable: number;
}

/** A successful answer's parsed body, with what its `Date` header proves of the server's clock. */
export interface Answer<T> {
  readonly body: T;
  /** Epoch ms the server's clock had reached when it answered; undefined without a `Date` header. */
  readonly serverTime: number | undefined;
}

export class ApiClient {
  /** The API's clock, learnt from every answer's `Date` header. */
  readonly clock: ServerClock;
  readonly stats: ClientStats = { requests: 0, retries: 0, rateLimited: 0, unavailable: 0 };
  /** Latest X-RateLimit-* reading per bucket name. */
  readonly buckets = new Map<string, BucketReading>();
  private readonly limiter: Limiter;
  private readonly random: () => number;
  private readonly newIdempotencyKey: () => string;
  private resolved: ResolvedConfig;
  private keyHint: string;
  private authHeader: Readonly<Record<string, string>>;

  constructor(
    config: ClientConfig | ResolvedConfig,
    readonly runtime: Runtime,
  ) {
    // A resolved config carries the Preset object itself; a ClientConfig names it (or leaves it out).
    this.resolved = 'preset' in config && typeof config.preset === 'object' ? config : resolveConfig(config as ClientConfig);
    this.limiter = runtime.limiter ?? UNLIMITED;
    this.random = runtime.random ?? Math.random;
    this.newIdempotencyKey = runtime.newIdempotencyKey ?? randomUUID;
    this.keyHint = keyHint(this.resolved.apiKey);
    this.clock = new ServerClock(runtime.now);
    this.authHeader = authHeaderFor(this.resolved);
  }

  get config(): ResolvedConfig {
    return this.resolved;
  }

  /**
   * Sends `apiKey` from the next attempt on: a key rotated without a restart. Requests
   * already on the wire keep the key they went with. Throws a ConfigError for a key that
   * cannot be one (empty, white space) and keeps the current key then.
   */
  replaceApiKey(apiKey: string): void {
    checkApiKey(apiKey);
    this.resolved = { ...this.resolved, apiKey };
    this.keyHint = keyHint(apiKey);
    this.authHeader = authHeaderFor(this.resolved);
  }

  /** Sends the request, retrying as `decideRetry` allows; resolves with the parsed JSON body (undefined for an empty one). */
  async request<T>(options: RequestOptions): Promise<T> {
    return (await this.send<T>(options)).body;
  }

  /** As `request`, also telling what the answer proves of the server's clock. */
  async send<T>(options: RequestOptions): Promise<Answer<T>> {
    let request = this.buildRequest(options);
    let sentKey = this.resolved.apiKey;
    let triedAnotherKey = false;
    const bucket = this.config.policies[options.bucket ?? (options.method === 'GET' ? 'read' : 'write')].bucket;
    for (let attempt = 1; ; attempt++) {
      const context: FailureContext = { config: this.config, keyHint: this.keyHint, method: options.method, path: options.path };
      const outcome = await this.attempt(request, bucket, context);
      if (outcome.ok) return { body: parseBody<T>(outcome.response, context), serverTime: outcome.serverTime };
      const { error } = outcome;
      // The refused key may have been replaced meanwhile, or the runtime may know a newer one: one more try with it.
      if (error instanceof AuthError && !triedAnotherKey && (await this.hasKeyOtherThan(sentKey))) {
        triedAnotherKey = true;
        sentKey = this.resolved.apiKey;
        request = { ...request, headers: { ...request.headers, ...this.authHeader } };
        continue;
      }
      const decision = decideRetry({
        attempt,
        error,
        method: options.method,
        hasIdempotencyKey: 'Idempotency-Key' in request.headers,
        options: options.maxAttempts === undefined ? this.config.retry : { ...this.config.retry, maxAttempts: options.maxAttempts },
        random: this.random,
      });
      if (!decision.retry) throw error;
      this.stats.retries++;
      await this.runtime.sleep(decision.delayMs, options.signal);
      throwIfStopped(options.signal);
    }
  }

  /** After a 401: whether a key other than the one refused is in use now, asking the runtime for one if not. */
  private async hasKeyOtherThan(refused: string): Promise<boolean> {
    if (this.resolved.apiKey !== refused) return true;
    const key = await this.runtime.refreshApiKey?.();
    if (key === undefined || key === refused) return false;
    try {
      this.replaceApiKey(key);
      return true;
    } catch {
      return false;
    }
  }

  /** One round trip: the response when it is a success, else the error to consider retrying. */
  private async attempt(request: HttpRequest, bucket: string, context: FailureContext): Promise<AttemptOutcome> {
    const outcome = await this.roundTrip(request, bucket, context);
    if (outcome.sentAt !== undefined && this.runtime.onRequest) {
      const status = outcome.ok ? outcome.response.status : outcome.status;
      const observation = { bucket, method: context.method as HttpMethod, path: context.path, status, durationMs: outcome.answeredAt - outcome.sentAt };
      try {
        this.runtime.onRequest(outcome.ok ? observation : { ...observation, error: outcome.error });
      } catch {
        // An observer's failure is its own: the request has its answer.
      }
    }
    return outcome;
  }

  private async roundTrip(request: HttpRequest, bucket: string, context: FailureContext): Promise<AttemptOutcome> {
    this.stats.requests++;
    let response: HttpResponse;
    let sentAt: number | undefined;
    try {
      response = await this.limiter.schedule(
        bucket,
        () => {
          sentAt = this.runtime.now();
          return this.runtime.transport(request);
        },
        request.signal,
      );
    } catch (thrown) {
      // The caller asked to stop: not a network failure, and nothing to retry.
      if (thrown instanceof StoppedError) throw thrown;
      throwIfStopped(request.signal);
      const error = errorFromTransport(thrown, { ...context, url: request.url });
      return { ok: false, error, status: undefined, sentAt, answeredAt: this.runtime.now() };
    }
    const now = this.runtime.now();
    // Set: the transport was called, since it answered.
    const serverTime = this.clock.observe(response.headers.date, sentAt!, now);
    const reading = readResponse(response, now);
    const observation = reading.rateLimit;
    this.limiter.observe(bucket, observation);
    if (observation.limit !== undefined || observation.remaining !== undefined) {
      this.buckets.set(bucket, { limit: observation.limit, remaining: observation.remaining, at: now });
    }
    if (response.status >= 200 && response.status < 300) return { ok: true, response, serverTime, sentAt, answeredAt: now };
    if (response.status === 429) this.stats.rateLimited++;
    if (response.status === 503) this.stats.unavailable++;
    return { ok: false, error: errorFromResponse(response, reading, context), status: response.status, sentAt, answeredAt: now };
  }

  private buildRequest(options: RequestOptions): HttpRequest {
    const headers: Record<string, string> = {
      Accept: 'application/json',
      'User-Agent': this.config.userAgent,
      ...this.authHeader,
    };
    let body: string | undefined;
    if (options.body !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(options.body);
    }
    if (typeof options.idempotencyKey === 'string') headers['Idempotency-Key'] = options.idempotencyKey;
    else if (options.method === 'POST' && options.idempotencyKey !== false) headers['Idempotency-Key'] = this.newIdempotencyKey();
    return {
      method: options.method,
      url: this.url(options.path, options.query),
      headers,
      ...(body === undefined ? {} : { body }),
      timeoutMs: this.config.timeoutMs,
      ...(options.signal ? { signal: options.signal } : {}),
    };
  }

  /** Absolute URL of a path under the base path. */
  url(path: string, query?: Readonly<Record<string, QueryValue>>): string {
    const search = Object.entries(query ?? {})
      .filter((entry): entry is [string, string | number | boolean] => entry[1] !== undefined)
      .map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(String(value))}`)
      .join('&');
    return `${this.config.baseUrl}${this.config.basePath}${path}${search ? `?${search}` : ''}`;
  }
}


function throwIfStopped(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new StoppedError();
}
/** `sentAt` is undefined when the request never left (the limiter refused it). */
type AttemptOutcome = { readonly sentAt: number | undefined; readonly answeredAt: number } & (
  | { readonly ok: true; readonly response: HttpResponse; readonly serverTime: number | undefined }
  | { readonly ok: false; readonly error: EventsyncError; readonly status: number | undefined }
);

function authHeaderFor(config: ResolvedConfig): Readonly<Record<string, string>> {
  return authHeaders(config.authStyle, config.apiKey);
}

function parseBody<T>(response: HttpResponse, context: FailureContext): T {
  if (response.body === '' || response.status === 204) return undefined as T;
  try {
    return JSON.parse(response.body) as T;
  } catch {
    throw new ResponseFormatError(
      `${context.method} ${context.path} answered ${response.status} with a body that is not JSON; is the base URL pointing at the API?`,
      { status: response.status, code: 'invalid_response', method: context.method, path: context.path, keyHint: context.keyHint },
    );
  }
}
