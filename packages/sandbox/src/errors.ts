/**
 * Errors a handler throws to answer with the API's error body (docs/api-contract.md, Errors).
 * Throwing keeps handlers linear: validate, look up, act; the server turns the failure into a
 * response.
 */

export type ErrorCode =
  | 'unauthorized'
  | 'insufficient_scope'
  | 'managed_subscription'
  | 'not_found'
  | 'method_not_allowed'
  | 'invalid_parameter'
  | 'conflict'
  | 'rate_limited'
  | 'internal'
  | 'unavailable';

export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    /** Extra fields of the error object: `field`, `required_scope`, `policy`, `managed_by`. */
    readonly extra: Readonly<Record<string, unknown>> = {},
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = 'ApiFailure';
  }
}

export function invalidParameter(field: string, message: string): ApiFailure {
  return new ApiFailure(400, 'invalid_parameter', message, { field });
}

export function notFound(message: string): ApiFailure {
  return new ApiFailure(404, 'not_found', message);
}

export function unauthorized(message: string): ApiFailure {
  return new ApiFailure(401, 'unauthorized', message);
}

/** `name` is the scope as this variant spells it; `headers` carry the bucket's X-RateLimit-* (a 403 spends budget). */
export function insufficientScope(name: string, headers: Readonly<Record<string, string>>): ApiFailure {
  const message = `this API key lacks the ${name} scope; scopes cannot be added to a key, create a new key that has it`;
  return new ApiFailure(403, 'insufficient_scope', message, { required_scope: name }, headers);
}

/** The error body: `code`, `message`, `request_id` first, then the extras. */
export function errorBody(failure: ApiFailure, requestId: string): string {
  return JSON.stringify({
    error: { code: failure.code, message: failure.message, request_id: requestId, ...failure.extra },
  });
}
