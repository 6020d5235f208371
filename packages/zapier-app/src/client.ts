/**
 * The one place where Zapier meets the core: an `EventsyncClient` whose transport is
 * `z.request` (so Zapier's HTTP log and secret scrubbing see every call), and the mapping
 * from the core's typed errors to Zapier's errors.
 *
 * Retries are Zapier's business, not ours: the core gets `maxAttempts: 1` and no limiter, and
 * a 429 / 503 becomes a `ThrottledError` that Zapier re-schedules. `throwForThrottlingEarly:
 * false` keeps Zapier's own pre-`afterResponse` 429 check out of the way so that the answer
 * reaches the core, which reads Retry-After (seconds or an HTTP date) and the `policy`.
 */
import {
  AuthError,
  EventsyncClient,
  EventsyncError,
  InvalidInputError,
  ManagedSubscriptionError,
  NetworkError,
  RateLimitError,
  ScopeError,
  TransportFailure,
  UnavailableError,
  ValidationError,
  getPreset,
  lowerCaseHeaders,
  networkFailureOf,
  presetNameOrDefault,
  withoutBasePath,
  type HttpResponse,
  type Runtime,
  type Transport,
} from '@eventsync/core';
import type { Bundle, ZObject } from 'zapier-platform-core';
import packageJson from '../package.json' with { type: 'json' };

/** What the connection form stores (see authentication.ts). */
export interface AuthData {
  readonly apiKey?: string;
  readonly baseUrl?: string;
  readonly preset?: string;
}

/** Zapier steps must finish in seconds; nothing here waits longer than this. */
export const MAX_SLEEP_MS = 1_000;
/** Delay handed to Zapier for a 429/503 that names none. */
export const DEFAULT_THROTTLE_SECONDS = 60;
export const USER_AGENT = `eventsync-zapier/${packageJson.version}`;
/**
 * Zapier gives each call 30 s in all (a poll, a create, turning a Zap on). Every operation
 * makes at most one request; giving up on it after 20 s leaves the rest for Zapier's own work
 * and an error the user can read, instead of Zapier cutting the call off.
 */
export const REQUEST_TIMEOUT_MS = 20_000;

/** `EventsyncClient` for one Zapier invocation. */
export function clientFor(z: ZObject, bundle: Bundle): EventsyncClient {
  const authData = (bundle.authData ?? {}) as AuthData;
  const preset = getPreset(presetNameOrDefault(authData.preset));
  return new EventsyncClient(
    {
      // The connection form accepts the API's origin or its full base URL (origin + the variant's path).
      baseUrl: withoutBasePath(authData.baseUrl ?? '', preset.basePath),
      apiKey: authData.apiKey ?? '',
      preset: preset.name,
      retry: { maxAttempts: 1 },
      timeoutMs: REQUEST_TIMEOUT_MS,
      userAgent: USER_AGENT,
    },
    zapierRuntime(z),
  );
}

export function zapierRuntime(z: ZObject): Runtime {
  return {
    transport: zapierTransport(z),
    // Never called with maxAttempts 1; capped so a change there cannot park a Zapier step.
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.min(Math.max(ms, 0), MAX_SLEEP_MS))),
    now: Date.now,
  };
}

/** The core's Transport on top of `z.request`: every status resolves; no answer rejects with a TransportFailure. */
export function zapierTransport(z: ZObject): Transport {
  return async (request) => {
    let response: { status: number; content?: string; headers?: unknown };
    try {
      response = await z.request({
        url: request.url,
        method: request.method,
        headers: { ...request.headers },
        ...(request.body === undefined ? {} : { body: request.body }),
        timeout: request.timeoutMs,
        skipThrowForStatus: true,
        throwForThrottlingEarly: false,
        // No {{curly}} handling: user text such as "{{bundle.x}}" in a note is sent as written.
        merge: false,
      } as Parameters<ZObject['request']>[0]);
    } catch (thrown) {
      // Never attach the request (it holds the key): only the cause's message and class.
      const message = thrown instanceof Error ? thrown.message : String(thrown);
      throw new TransportFailure(message, networkFailureOf(thrown));
    }
    return {
      status: response.status,
      headers: lowerCaseHeaders(response.headers),
      body: typeof response.content === 'string' ? response.content : '',
    } satisfies HttpResponse;
  };
}

/**
 * Core error -> Zapier error. Everything an operation throws passes through here.
 *
 * - 429 RateLimitError -> ThrottledError(message, Retry-After seconds): Zapier waits, then retries.
 * - 503 UnavailableError -> ThrottledError too: contention is "try again later" by definition,
 *   and a plain z.errors.Error would halt the Zap run instead of re-queueing it.
 * - 401 AuthError -> ExpiredAuthError: custom auth has nothing to refresh, so Zapier marks the
 *   connection expired and asks the user to reconnect (RefreshAuthError is for OAuth/session).
 * - 403 ScopeError -> Error naming the missing scope (a key cannot gain scopes: a new key is needed).
 * - 400 ValidationError / InvalidInputError -> Error naming the field.
 */
export function toZapierError(z: ZObject, error: unknown): Error {
  if (!(error instanceof EventsyncError)) return error instanceof Error ? error : new Error(String(error));
  // The core's messages already say what to do, show the key only as …last4 and carry the request id.
  if (error instanceof RateLimitError) {
    const seconds = throttleSeconds(error.retryAfterMs);
    return new z.errors.ThrottledError(`${error.message} Zapier retries in ${seconds} s.`, seconds);
  }
  if (error instanceof UnavailableError) {
    const seconds = throttleSeconds(error.retryAfterMs);
    return new z.errors.ThrottledError(`${error.message} Zapier retries in ${seconds} s.`, seconds);
  }
  if (error instanceof AuthError) {
    return new z.errors.ExpiredAuthError(`${error.message} Reconnect your Eventsync account in Zapier with a valid API key.`);
  }
  if (error instanceof ScopeError) {
    const scope = error.requiredScope ?? 'a scope this step needs';
    return new z.errors.Error(
      `The API key lacks the "${scope}" scope (403): create a key with "${scope}" in Eventsync, then reconnect the account in Zapier. ${error.message}`,
      'insufficient_scope',
      403,
    );
  }
  if (error instanceof ValidationError || error instanceof InvalidInputError) {
    const field = error.field ?? 'unknown';
    return new z.errors.Error(`Eventsync rejected the field "${field}": ${error.message}`, error.code, error.status ?? 400);
  }
  if (error instanceof ManagedSubscriptionError) {
    return new z.errors.Error(`${error.message} Edit the Zap instead.`, error.code, 403);
  }
  if (error instanceof NetworkError) {
    return new z.errors.Error(`Could not reach Eventsync (${error.failure}): ${error.message} Check the Base URL of the connection.`, error.code, 0);
  }
  return new z.errors.Error(error.message, error.code, error.status ?? 0);
}

function throttleSeconds(retryAfterMs: number | undefined): number {
  if (retryAfterMs === undefined || !Number.isFinite(retryAfterMs)) return DEFAULT_THROTTLE_SECONDS;
  return Math.max(1, Math.ceil(retryAfterMs / 1000));
}

/** Runs an operation with a client, mapping any core error to Zapier's. */
export async function withClient<T>(z: ZObject, bundle: Bundle, work: (client: EventsyncClient) => Promise<T>): Promise<T> {
  try {
    return await work(clientFor(z, bundle));
  } catch (error) {
    throw toZapierError(z, error);
  }
}
