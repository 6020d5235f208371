/**
 * One parser per kind of value a config file holds (durations, ports, URLs, sinks, event
 * types, ...), as zod settings whose messages say what was expected. The same rules as the
 * `sync` flags (durations.ts, sync/settings.ts), worded for a file.
 *
 * A message may hold `{value}`: config-issues.ts puts the value there as the file wrote it,
 * before `${NAME}` was replaced, so a value from the environment is never shown, and masked
 * (showValue), so a password in a URL is never shown either.
 */
import { EVENT_TYPES, isEventType, isPresetName, PAGE_LIMIT_MAX, parsePolicy, PRESET_NAMES, type BucketKind, type PresetName, type RateLimitPolicy } from '@eventsync/core';
import { z } from 'zod';
import { parseDuration } from '../durations.js';
import { parseSinkUrl } from '../sync/settings.js';
import { describeKind } from './config-errors.js';

/** A problem with a value; `path` (relative to the value) points inside a list. */
export class Invalid {
  constructor(
    readonly message: string,
    readonly path: readonly (string | number)[] = [],
  ) {}
}

/** A zod setting from a parser: the parser's result, or its problems as zod issues. */
export function setting<T>(parse: (input: unknown) => T | Invalid | Invalid[]) {
  return z.unknown().transform((input, context): T => {
    const result = parse(input);
    const problems = result instanceof Invalid ? [result] : Array.isArray(result) && result.every((item) => item instanceof Invalid) && result.length > 0 ? result : [];
    for (const problem of problems) context.addIssue({ code: 'custom', message: problem.message, path: [...problem.path] });
    return problems.length > 0 ? z.NEVER : (result as T);
  });
}

/** Text from YAML, or a number YAML read from digits (`15`, or `${N}` replaced by digits). */
function numberFrom(input: unknown): number | undefined {
  if (typeof input === 'number') return input;
  if (typeof input === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(input)) return Number(input);
  return undefined;
}

/** `secret`: the value may be a key, so a wrong one is described, never shown. */
export function text(what: string, options: { secret: boolean } = { secret: false }) {
  return setting((input) => {
    if (typeof input !== 'string') return new Invalid(`expected ${what} as text; got ${options.secret ? describeKind(input) : describe(input)}`);
    if (input.trim() === '') return new Invalid(`is empty: expected ${what}`);
    return input.trim();
  });
}

/** `15s`, `2m`, `500ms`, `1h`; a bare number is seconds, as on the command line. */
export function duration(options: { positive: boolean }) {
  return setting((input) => {
    const asText = typeof input === 'number' ? String(input) : input;
    if (typeof asText !== 'string') return new Invalid(`expected a duration such as 15s, 2m or 1h; got ${describe(input)}`);
    let ms: number;
    try {
      ms = parseDuration(asText, 'duration');
    } catch {
      return new Invalid('not a duration such as 500ms, 15s, 2m or 1h: {value}');
    }
    if (options.positive && ms <= 0) return new Invalid('must be above zero: {value}');
    return ms;
  });
}

export function wholeNumber(min: number, max: number) {
  return setting((input) => {
    const value = numberFrom(input);
    if (value === undefined || !Number.isInteger(value) || value < min || value > max) return new Invalid(`expected a whole number from ${min} to ${max}; got {value}`);
    return value;
  });
}

export const port = wholeNumber(0, 65_535);

export const pageSize = wholeNumber(1, PAGE_LIMIT_MAX);

/** The share of the key's rate limit a connection may use, as --budget-share. */
export const budgetShare = setting((input) => {
  const value = numberFrom(input);
  if (value === undefined || !(value > 0 && value <= 1)) return new Invalid(`expected a share above 0 and at most 1 (e.g. 0.5); got {value}`);
  return value;
});

/** An http(s) URL; `secretInPath` for URLs that carry their own secret (a Slack webhook): never shown. */
export function httpUrl(options: { credentials: 'refuse' | 'allow'; secretInPath?: boolean }) {
  return setting((input) => {
    const shown = options.secretInPath ? '' : ': {value}';
    if (typeof input !== 'string') return new Invalid(`expected an http(s) URL; got ${describe(input)}`);
    const trimmed = input.trim();
    if (!URL.canParse(trimmed) || !/^https?:$/.test(new URL(trimmed).protocol)) return new Invalid(`not an http(s) URL${shown}`);
    const url = new URL(trimmed);
    if (options.credentials === 'refuse' && (url.username || url.password)) {
      return new Invalid('must not carry a user or password: put the key in apiKeyEnv, apiKeyFile or apiKey');
    }
    return trimmed;
  });
}

export const redisUrl = setting((input) => {
  if (typeof input !== 'string') return new Invalid(`expected a redis:// URL; got ${describe(input)}`);
  const trimmed = input.trim();
  if (!URL.canParse(trimmed) || !/^rediss?:$/.test(new URL(trimmed).protocol)) return new Invalid('not a redis:// or rediss:// URL: {value}');
  return trimmed;
});

export const CONNECTION_PLACEHOLDER = '{connection}';

/**
 * A sink as text, `{connection}` still in it (each connection puts its name there: see
 * config-sinks.ts). Checked here once, with a stand-in name.
 */
export const sink = setting((input) => {
  if (typeof input !== 'string') return new Invalid(`expected a sink such as file:./events/{connection}.ndjson; got ${describe(input)}`);
  const trimmed = input.trim();
  if (trimmed === '-') return new Invalid('stdout (-) cannot be shared by connections: use file:, sqlite: or postgres://');
  const unknown = [...trimmed.matchAll(/\{([^}]*)\}/g)].map((match) => match[0]).filter((placeholder) => placeholder !== CONNECTION_PLACEHOLDER);
  if (unknown.length > 0) return new Invalid(`unknown placeholder ${unknown[0]} in {value}: the only one is {connection} (the connection's name)`);
  try {
    const choice = parseSinkUrl(trimmed.split(CONNECTION_PLACEHOLDER).join('connection'));
    if (choice.kind === 'stdout' || choice.kind === 'forward') throw new Error(choice.kind);
  } catch {
    return new Invalid('not a sink: {value}; use file:<path>, sqlite:<path> or postgres://user:password@host/database');
  }
  return trimmed;
});

/** A SQL name: the table prefix, the Postgres schema (as --table-prefix and --schema). */
export const sqlName = setting((input) => {
  if (typeof input !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(input)) {
    return new Invalid(`expected letters, digits and underscores, starting with a letter or underscore; got ${describe(input)}`);
  }
  return input;
});

/** A list (`[lead.created, note.added]`) or `a,b` text; empty or `*` means every type. */
export const eventTypes = setting((input): string[] | Invalid | Invalid[] => {
  const listed = typeof input === 'string' ? (input.trim() === '*' ? [] : input.split(',').map((type) => type.trim()).filter(Boolean)) : input;
  if (!Array.isArray(listed)) return new Invalid(`expected a list of event types, e.g. [lead.created, note.added]; got ${describe(input)}`);
  const problems = listed.flatMap((type, index) => {
    const at = Array.isArray(input) ? [index] : [];
    if (typeof type !== 'string') return [new Invalid(`expected an event type as text; got ${describe(type)}`, at)];
    return isEventType(type) ? [] : [new Invalid(`unknown event type ${JSON.stringify(type)}; types are lower-case: ${EVENT_TYPES.join(', ')}`, at)];
  });
  return problems.length > 0 ? problems : (listed as string[]);
});

/** `read:600/1m,write:60/1m`, as --rate-limit: the budget the plan grants. */
export const rateLimit = setting((input) => {
  if (typeof input !== 'string' || input.trim() === '') return new Invalid(`expected read:N/window and/or write:N/window, e.g. read:600/1m,write:60/1m; got ${describe(input)}`);
  const policies: Partial<Record<BucketKind, RateLimitPolicy>> = {};
  for (const part of input.split(',')) {
    const kind = part.trim().split(':')[0];
    if (kind !== 'read' && kind !== 'write') return new Invalid(`expected read:N/window and/or write:N/window, e.g. read:600/1m,write:60/1m; got ${JSON.stringify(part.trim())}`);
    try {
      policies[kind] = parsePolicy(part, kind);
    } catch (error) {
      return new Invalid(error instanceof Error ? error.message : String(error));
    }
  }
  return policies;
});

export const preset = setting((input): PresetName | Invalid => {
  if (typeof input === 'string' && isPresetName(input)) return input;
  return new Invalid(`unknown preset ${describe(input)}; choose one of ${PRESET_NAMES.join(', ')}`);
});

/** The connection's name: the sink's `source`, the webhook path and the state directory's name. */
export const CONNECTION_NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;

export const connectionName = setting((input) => {
  if (typeof input === 'string' && CONNECTION_NAME.test(input)) return input;
  return new Invalid(
    `${describe(input)} is not a connection name: lower-case letters, digits, dots, dashes and underscores, at most 63, starting with a letter or digit (e.g. acme-production)`,
  );
});

export const version = setting((input) => (input === 1 || input === '1' ? 1 : new Invalid('the only version is 1; got {value}')));

/** Text and numbers are shown (as the file wrote them: `{value}`), anything else by its kind. */
function describe(input: unknown): string {
  return typeof input === 'string' || typeof input === 'number' ? '{value}' : describeKind(input);
}
