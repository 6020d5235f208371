/**
 * Turns a non-2xx answer or a transport failure into a typed error whose message tells
 * the user what to do next. The key appears only as its last four characters, also when
 * the server's own message happened to echo it.
 */
import { keyMode, type ResolvedConfig } from './config.js';
import {
  ApiError,
  AuthError,
  ConflictError,
  ManagedSubscriptionError,
  NetworkError,
  NotFoundError,
  RateLimitError,
  ScopeError,
  UnavailableError,
  ValidationError,
  redactKey,
  type ErrorDetails,
  type EventsyncError,
  type NetworkFailure,
} from './errors.js';
import type { ResponseReading } from './response-reading.js';
import { TransportFailure, type HttpResponse } from './transport.js';

export interface FailureContext {
  readonly config: ResolvedConfig;
  readonly keyHint: string;
  readonly method: string;
  readonly path: string;
}

/** The typed error for a non-2xx answer, from its one reading (response-reading.ts). */
export function errorFromResponse(response: HttpResponse, reading: ResponseReading, context: FailureContext): EventsyncError {
  const { config, keyHint, method, path } = context;
  const { error: body, retryAfterMs } = reading;
  const serverMessage = redactKey(body?.message ?? `HTTP ${response.status}`, config.apiKey, keyHint);
  const details: ErrorDetails = {
    status: response.status,
    code: body?.code ?? codeForStatus(response.status),
    requestId: response.headers[config.requestIdHeader.toLowerCase()] ?? body?.request_id,
    keyHint,
    method,
    path,
  };
  const suffix = details.requestId ? ` [request ${details.requestId}]` : '';

  switch (response.status) {
    case 401: {
      const mode = keyMode(config.apiKey);
      const header = config.authStyle === 'bearer' ? 'Authorization: Bearer <key>' : 'X-Api-Key: <key>';
      const testHint =
        mode === 'test'
          ? ' It is a test key (…_test_…): test keys work only against a sandbox or test environment, use a live key for the live API.'
          : '';
      return new AuthError(
        `Unauthorized (401): ${serverMessage}. Check the API key ending ${keyHint}: it may be revoked, expired or mistyped; this preset sends it as "${header}".${testHint}${suffix}`,
        details,
        mode,
      );
    }
    case 403: {
      if (details.code === 'managed_subscription') {
        const owner = typeof body?.managed_by === 'string' ? body.managed_by : undefined;
        return new ManagedSubscriptionError(
          `${serverMessage}. This subscription is managed by ${owner ?? 'another tool'}: change it there (enabling or disabling it here still works).${suffix}`,
          details,
          owner,
        );
      }
      const scope = typeof body?.required_scope === 'string' ? body.required_scope : undefined;
      return new ScopeError(
        `Forbidden (403): the API key ending ${keyHint} lacks the scope ${scope ? `"${scope}"` : 'this call needs'} for ${method} ${path}. Scopes cannot be added to a key: create a new key that has it.${suffix}`,
        details,
        scope,
      );
    }
    case 429: {
      const policy = typeof body?.policy === 'string' ? body.policy : undefined;
      const wait = retryAfterMs === undefined ? 'a moment' : `${Math.ceil(retryAfterMs / 1000)} s`;
      return new RateLimitError(
        `Rate limited (429)${policy ? ` by policy ${policy}` : ''}: wait ${wait} before calling again. Keys shared by several integrations share this budget.${suffix}`,
        details,
        retryAfterMs,
        policy,
      );
    }
    case 503:
      return new UnavailableError(
        `The API is busy (503 unavailable): ${serverMessage}. This is contention, not a rate limit; try again shortly.${suffix}`,
        details,
        retryAfterMs,
      );
    case 400: {
      const field = typeof body?.field === 'string' ? body.field : undefined;
      return new ValidationError(
        `Invalid ${field ? `parameter "${field}"` : 'request'} (400): ${serverMessage}${suffix}`,
        details,
        field,
      );
    }
    case 404:
      return new NotFoundError(`Not found (404): ${serverMessage} (${method} ${path})${suffix}`, details);
    case 409:
      return new ConflictError(`Conflict (409): ${serverMessage}${suffix}`, details);
    default:
      return new ApiError(`${method} ${path} failed with HTTP ${response.status} (${details.code}): ${serverMessage}${suffix}`, details);
  }
}

export function errorFromTransport(thrown: unknown, context: FailureContext & { readonly url: string }): NetworkError {
  const failure: NetworkFailure = thrown instanceof TransportFailure ? thrown.failure : 'other';
  const { origin, hostname } = new URL(context.url);
  const detail = thrown instanceof Error ? redactKey(thrown.message, context.config.apiKey, context.keyHint) : 'unknown error';
  const messages: Record<NetworkFailure, string> = {
    refused: `Cannot reach ${origin}: connection refused. Is the API running, and is the base URL right?`,
    dns: `Cannot resolve the host "${hostname}": check the base URL.`,
    reset: `The connection to ${origin} was reset before an answer came back.`,
    timeout: `No answer from ${origin} within ${context.config.timeoutMs} ms.`,
    other: `Request to ${origin} failed: ${detail}`,
  };
  return new NetworkError(messages[failure], { keyHint: context.keyHint, method: context.method, path: context.path }, failure);
}

function codeForStatus(status: number): string {
  const codes: Record<number, string> = {
    400: 'invalid_parameter',
    401: 'unauthorized',
    403: 'insufficient_scope',
    404: 'not_found',
    409: 'conflict',
    429: 'rate_limited',
    500: 'internal',
    503: 'unavailable',
  };
  return codes[status] ?? `http_${status}`;
}
