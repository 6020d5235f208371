/**
 * Exit codes and the one-line messages a user sees. No stack traces for user errors:
 * every message says what went wrong and what to do; EVENTSYNC_DEBUG=1 adds the stack.
 */
import {
  ApiError,
  AuthError,
  ConfigError,
  EventsyncError,
  InvalidInputError,
  NetworkError,
  ScopeError,
  StorageError,
} from '@eventsync/core';
import { InvalidSignature } from './commands/verify.js';
import { RotationFailed } from './secret-rotation.js';
import { UsageError } from './usage-error.js';

export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 2,
  unauthorized: 3,
  forbidden: 4,
  unreachable: 5,
  api: 6,
  invalidSignature: 7,
  storage: 8,
  rotationFailed: 9,
  interrupted: 130,
} as const;

export function exitCodeFor(error: unknown): number {
  if (error instanceof InvalidSignature) return EXIT.invalidSignature;
  if (error instanceof StorageError) return EXIT.storage;
  if (error instanceof RotationFailed) return EXIT.rotationFailed;
  if (error instanceof UsageError || error instanceof ConfigError || error instanceof InvalidInputError) return EXIT.usage;
  if (error instanceof AuthError) return EXIT.unauthorized;
  if (error instanceof ScopeError) return EXIT.forbidden;
  if (error instanceof NetworkError) return EXIT.unreachable;
  if (error instanceof ApiError) return EXIT.api;
  return EXIT.failure;
}

/** Where the CLI takes each setting from, for a ConfigError's remedy (core names the setting, not the flag). */
const SETTING_SOURCES: Readonly<Record<string, string>> = {
  baseUrl: '--base-url or EVENTSYNC_BASE_URL',
  apiKey: '--api-key or EVENTSYNC_API_KEY',
  preset: '--preset or EVENTSYNC_PRESET',
  basePath: 'EVENTSYNC_BASE_PATH',
  policy: '--rate-limit or EVENTSYNC_RATE_LIMIT',
  url: '--sink',
  path: '--sink',
  source: '--source',
  schema: '--schema',
  tablePrefix: '--table-prefix',
};

export function describeError(error: unknown, debug: boolean): string {
  if (!(error instanceof Error)) return String(error);
  const source = error instanceof ConfigError ? SETTING_SOURCES[error.setting] : undefined;
  if (source && !debug) return `${error.message} (set with ${source})`;
  const known = error instanceof EventsyncError || error instanceof UsageError || error instanceof InvalidSignature || error instanceof RotationFailed;
  if (known && !debug) return error.message;
  return debug ? (error.stack ?? error.message) : `${error.message}\n(unexpected error: run with EVENTSYNC_DEBUG=1 for details)`;
}
