/**
 * What is wrong with a config file, all of it at once: a file of many connections should be
 * fixed in one edit, not one run per mistake. Each problem names where it is, in the form a
 * reader finds it in the file (`connections[3].preset`), and what to do.
 *
 * Secrets never reach a message. Values are shown only through `showValue`, which masks the
 * password of any URL (a postgres:// sink, a redis:// limiter), and `ConfigFileError` takes
 * the secrets the loader saw (inline keys, keys from the environment, passwords) and masks
 * any that a message still holds, in case a key was pasted where a URL was expected.
 */
import { UsageError } from '../usage-error.js';

/** Where in the file: keys and list positions, from the top. */
export type SettingPath = readonly (string | number)[];

/** A problem found at a place in the file, before it is put into words for the reader. */
export interface PathProblem {
  readonly at: SettingPath;
  readonly message: string;
}

export interface ConfigProblem {
  /** `connections[12].apiKey`; '' for the file as a whole; `line 3, column 5` for YAML syntax. */
  readonly path: string;
  readonly message: string;
}

/** A usage error (exit 2): the first line names the file, then one problem per line. */
export class ConfigFileError extends UsageError {
  readonly problems: readonly ConfigProblem[];

  constructor(
    /** Absolute path of the config file. */
    readonly file: string,
    problems: readonly ConfigProblem[],
    /** Text that must not be shown (keys, passwords): replaced by *** wherever it appears. */
    secrets: Iterable<string> = [],
  ) {
    const masked = maskAll(problems, secrets);
    super(`${file}: ${masked.length} ${masked.length === 1 ? 'problem' : 'problems'}:\n${masked.map((problem) => `  ${problem.path ? `${problem.path}: ` : ''}${problem.message}`).join('\n')}`);
    this.problems = masked;
  }
}

/**
 * The problems as the reader gets them: one per setting (the first found: an unset variable
 * explains the bad value after it; a list's problem covers its items), the file's own first,
 * then each connection's in order.
 */
export function toProblems(found: readonly PathProblem[]): ConfigProblem[] {
  const kept: PathProblem[] = [];
  for (const problem of found) {
    const covered = kept.some((earlier) => earlier.at.length <= problem.at.length && earlier.at.every((part, index) => problem.at[index] === part));
    if (!covered) kept.push(problem);
  }
  const order = (problem: PathProblem) => (problem.at[0] === 'connections' && typeof problem.at[1] === 'number' ? problem.at[1] : -1);
  return kept
    .map((problem, index) => ({ problem, index }))
    .sort((a, b) => order(a.problem) - order(b.problem) || a.index - b.index)
    .map(({ problem }) => ({ path: formatPath(problem.at), message: problem.message }));
}

/** `connections[12].apiKey`: keys joined with dots, positions in brackets, odd keys quoted. */
export function formatPath(path: SettingPath): string {
  let text = '';
  for (const part of path) {
    if (typeof part === 'number') text += `[${part}]`;
    else if (/^[A-Za-z_$][A-Za-z0-9_$-]*$/.test(part)) text += text === '' ? part : `.${part}`;
    else text += `[${JSON.stringify(part)}]`;
  }
  return text;
}

/**
 * A value as a message shows it: text quoted with any URL password masked, other values by
 * what they are. Callers never pass a key here.
 */
export function showValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(maskUrlSecrets(value));
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return describeKind(value);
}

/** What a value is, in words, without showing it: for "expected X, got Y". */
export function describeKind(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'nothing (an empty value)';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return 'text';
  if (typeof value === 'number') return 'a number';
  if (typeof value === 'boolean') return `${value} (a yes/no value)`;
  return typeof value;
}

/**
 * A URL's password and any `?password=`-like parameter as `***` (as core's PostgresTarget
 * shows a postgres:// URL), the rest as written. Text that looks like a URL with credentials
 * but does not parse is cut to its scheme, since where the password ends cannot be told.
 */
export function maskUrlSecrets(text: string): string {
  if (!text.includes('://') && !text.includes('@')) return text;
  if (!URL.canParse(text)) return text.includes('@') ? `${text.slice(0, text.indexOf(':') + 1)}…` : text;
  let masked = text;
  if (new URL(text).password) {
    // user:password@ sits between :// and the first / ? or #; the password runs from the first colon to the last @.
    const start = text.indexOf('://') + 3;
    const end = text.slice(start).search(/[/?#]/);
    const at = text.lastIndexOf('@', end < 0 ? text.length : start + end);
    const colon = text.indexOf(':', start);
    // A reference to a variable (`${PGPASSWORD}`) is not the password, and says where it comes from.
    const reference = /^\$\{[A-Za-z_][A-Za-z0-9_]*\}$/.test(text.slice(colon + 1, at));
    if (at > colon && colon >= start && !reference) masked = `${text.slice(0, colon + 1)}***${text.slice(at)}`;
  }
  return masked.replace(SECRET_PARAMETER, '$1***');
}

const SECRET_PARAMETER = /([?&][^=&#]*(?:password|secret|token|key)[^=&#]*=)[^&#]*/gi;

/** The passwords inside a URL, for the loader's list of secrets. */
export function urlSecrets(text: string): string[] {
  if (!URL.canParse(text)) return [];
  const url = new URL(text);
  const found = [url.password, ...[...url.searchParams].filter(([name]) => /password|secret|token|key/i.test(name)).map(([, value]) => value)];
  return found.filter(Boolean).flatMap((secret) => [secret, safeDecode(secret)]);
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function maskAll(problems: readonly ConfigProblem[], secrets: Iterable<string>): ConfigProblem[] {
  // Too short a secret would be found inside ordinary words (as PostgresTarget reasons).
  const list = [...new Set(secrets)].filter((secret) => secret.length >= 4).sort((a, b) => b.length - a.length);
  const mask = (text: string) => list.reduce((result, secret) => result.split(secret).join('***'), text);
  return problems.map((problem) => ({ path: mask(problem.path), message: mask(problem.message) }));
}
