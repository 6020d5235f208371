/**
 * Errors are values with names: callers branch on `instanceof RateLimitError`, never on
 * message text. Every error carries what support asks for (status, code, request id) and
 * shows the API key only as its last four characters; no field holds a secret.
 */

export interface ErrorDetails {
  /** HTTP status, when the error came from a response. */
  readonly status?: number;
  /** The API's error code (`rate_limited`, ...) or one of ours (`network_error`, ...). */
  readonly code?: string;
  /** The request id header of the failing response, for support tickets. */
  readonly requestId?: string;
  /** The API key as `…abcd`. */
  readonly keyHint?: string;
  readonly method?: string;
  /** Path under the base URL, without the query string. */
  readonly path?: string;
}

export class EventsyncError extends Error {
  readonly status: number | undefined;
  readonly code: string;
  readonly requestId: string | undefined;
  readonly keyHint: string | undefined;
  readonly method: string | undefined;
  readonly path: string | undefined;

  constructor(message: string, details: ErrorDetails = {}) {
    super(message);
    this.name = new.target.name;
    this.status = details.status;
    this.code = details.code ?? 'error';
    this.requestId = details.requestId;
    this.keyHint = details.keyHint;
    this.method = details.method;
    this.path = details.path;
  }

  /** What a log line or a support ticket needs, and nothing secret. */
  toJSON(): Record<string, unknown> {
    const fields: Record<string, unknown> = { name: this.name, message: this.message };
    for (const [key, value] of Object.entries(this)) {
      if (value !== undefined) fields[key] = value;
    }
    return fields;
  }
}

/** The caller's configuration is wrong; nothing was sent. */
export class ConfigError extends EventsyncError {
  constructor(
    message: string,
    /** The setting that is wrong (`baseUrl`, `apiKey`, `policy`, ...). */
    readonly setting: string,
  ) {
    super(message, { code: 'invalid_config' });
  }
}

/** An argument of a call is wrong; nothing was sent. */
export class InvalidInputError extends EventsyncError {
  constructor(
    message: string,
    /** The argument that is wrong. */
    readonly field: string,
  ) {
    super(message, { code: 'invalid_input' });
  }
}

/** The API answered with a status we do not map more precisely. Every HTTP error extends it. */
export class ApiError extends EventsyncError {}

/** 401: the key is missing, malformed, revoked or expired. */
export class AuthError extends ApiError {
  constructor(
    message: string,
    details: ErrorDetails,
    /** From the key's own format: a `_test_` key sent to a live API is the classic 401. */
    readonly keyMode: 'live' | 'test' | 'unknown',
  ) {
    super(message, details);
  }
}

/** 403 `insufficient_scope`: the key lacks a scope; keys cannot gain scopes, a new key is needed. */
export class ScopeError extends ApiError {
  constructor(
    message: string,
    details: ErrorDetails,
    readonly requiredScope: string | undefined,
  ) {
    super(message, details);
  }
}

/** 403 `managed_subscription`: a tool (Zapier, n8n, ...) owns this subscription. */
export class ManagedSubscriptionError extends ApiError {
  constructor(
    message: string,
    details: ErrorDetails,
    readonly managedBy: string | undefined,
  ) {
    super(message, details);
  }
}

/** 429: the bucket named by `policy` is spent; nothing may be sent into it for `retryAfterMs`. */
export class RateLimitError extends ApiError {
  constructor(
    message: string,
    details: ErrorDetails,
    readonly retryAfterMs: number | undefined,
    /** As the API reports it, e.g. `read:60/1m`. */
    readonly policy: string | undefined,
  ) {
    super(message, details);
  }
}

/** 503: system contention, not a rate limit. */
export class UnavailableError extends ApiError {
  constructor(
    message: string,
    details: ErrorDetails,
    readonly retryAfterMs: number | undefined,
  ) {
    super(message, details);
  }
}

/** 400 `invalid_parameter`. */
export class ValidationError extends ApiError {
  constructor(
    message: string,
    details: ErrorDetails,
    /** The parameter or body field that was wrong. */
    readonly field: string | undefined,
  ) {
    super(message, details);
  }
}

export class NotFoundError extends ApiError {}
export class ConflictError extends ApiError {}

/** The request never got an HTTP answer: refused, unknown host, reset, timed out. */
export type NetworkFailure = 'refused' | 'dns' | 'reset' | 'timeout' | 'other';

export class NetworkError extends EventsyncError {
  constructor(
    message: string,
    details: ErrorDetails,
    readonly failure: NetworkFailure,
  ) {
    super(message, { ...details, code: details.code ?? 'network_error' });
  }
}

/** The API answered 2xx with a body that is not the JSON it promises (docs/api-contract.md). */
export class ResponseFormatError extends EventsyncError {}

/**
 * Local storage failed: the sink or the checkpoint could not be written (a full disk, a
 * read-only file system, a permission). Nothing was acknowledged past what is on disk; the
 * next run resumes from the last checkpoint once the cause is fixed.
 */
export class StorageError extends EventsyncError {
  constructor(
    message: string,
    /** The file that could not be written. */
    readonly file: string,
    /** The system's code (`ENOSPC`, `EACCES`, ...), when there is one. */
    readonly systemCode: string | undefined,
  ) {
    super(message, { code: 'storage_failed' });
  }
}

/**
 * A wait (for a rate-limit slot, a Retry-After, a back-off) or a request was cut short
 * because the caller asked to stop. Not a failure: whoever stops a sync expects it.
 */
export class StoppedError extends EventsyncError {
  constructor(message = 'stopped before the request was sent') {
    super(message, { code: 'stopped' });
  }
}

/** Replaces every occurrence of the key in text we did not write (server messages, transport errors). */
export function redactKey(text: string, apiKey: string, keyHint: string): string {
  if (!apiKey || apiKey.length < 4) return text;
  return text.split(apiKey).join(keyHint);
}

/**
 * Worth waiting out and trying again later (the API or the network is having a moment),
 * as opposed to errors no amount of waiting fixes (a bad key, a missing scope, bad input).
 */
export function isTransient(error: unknown): boolean {
  if (error instanceof NetworkError || error instanceof RateLimitError || error instanceof UnavailableError) return true;
  return error instanceof ApiError && error.status !== undefined && error.status >= 500;
}

/** What went wrong with a database storage, for a caller that acts on it (an exit code, a retry). */
export type DatabaseProblem =
  | 'unreachable'
  | 'connection-lost'
  | 'authentication'
  | 'missing-database'
  | 'permission'
  | 'table-shape'
  | 'disk-full'
  | 'locked'
  /** A worker's lease on the connection was taken by another worker or expired (PostgresLeases): this worker must stop syncing it. */
  | 'lease-lost'
  | 'unstorable-event'
  | 'other';

/**
 * A database storage failed. The message names the database by its URL with the password
 * masked (never the password) and says what to do; nothing past the last commit was kept.
 */
export class DatabaseStorageError extends StorageError {
  constructor(
    message: string,
    /** The database and table, password masked (the storage's `description`). */
    where: string,
    readonly problem: DatabaseProblem,
    /** SQLSTATE (`28P01`, ...) or the system's code (`ECONNREFUSED`, ...), when there is one. */
    code: string | undefined,
  ) {
    super(message, where, code);
  }
}
