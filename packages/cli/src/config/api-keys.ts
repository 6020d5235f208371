/**
 * A connection's API key, from exactly one of three places: an environment variable
 * (`apiKeyEnv`), a file (`apiKeyFile`, read like --api-key-file, and re-read by the runner when
 * it changes), or the config file itself (`apiKey`). A key written in the config file is taken
 * only when the file's mode lets no one but its owner read it: a key in a world-readable file
 * has already leaked. `apiKey: ${NAME}` keeps the key out of the file, so the mode does not
 * matter then.
 *
 * No message shows a key; where a value may be a key pasted in the wrong place, it is not
 * shown either.
 */
import { isAbsolute, resolve } from 'node:path';
import { checkApiKey, ConfigError, keyMode } from '@eventsync/core';
import { readKeyFile } from '../ops/key-file.js';
import type { PathProblem, SettingPath } from './config-errors.js';
import { referencedVariables } from './env-interpolation.js';

export interface ResolvedKey {
  readonly apiKey: string;
  readonly keyFile: string | undefined;
  readonly keySource: string;
}

export interface KeyPlace {
  /** The config file, for messages, and its directory, against which a relative key file resolves. */
  readonly file: string;
  readonly dir: string;
  /** The config file's permission bits (stat's mode & 0o777). */
  readonly fileMode: number;
  readonly env: NodeJS.ProcessEnv;
}

const KEY_SETTINGS = ['apiKeyEnv', 'apiKeyFile', 'apiKey'] as const;
const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The key of the connection at `at`: `entry` after `${NAME}` was replaced, `written` as the
 * file wrote it. Values of the wrong type are left to the schema, which reports them.
 */
export function resolveApiKey(entry: Record<string, unknown>, written: Record<string, unknown>, at: SettingPath, place: KeyPlace): ResolvedKey | PathProblem[] {
  const given = KEY_SETTINGS.filter((setting) => entry[setting] !== undefined);
  if (given.length === 0) return [{ at: [...at, 'apiKey'], message: 'missing: set apiKeyEnv, apiKeyFile or apiKey' }];
  if (given.length > 1) {
    return given.slice(1).map((setting) => ({ at: [...at, setting], message: `${given[0]} is set too: keep one of apiKeyEnv, apiKeyFile and apiKey` }));
  }
  const setting = given[0]!;
  const value = entry[setting];
  if (typeof value !== 'string' || value.trim() === '') return [];
  const problem = (message: string): PathProblem[] => [{ at: [...at, setting], message }];
  switch (setting) {
    case 'apiKeyEnv':
      return fromEnv(value.trim(), place.env, problem);
    case 'apiKeyFile':
      return fromFile(value.trim(), place.dir, problem);
    case 'apiKey':
      return inline(value, written[setting], place, problem);
  }
}

function fromEnv(name: string, env: NodeJS.ProcessEnv, problem: (message: string) => PathProblem[]): ResolvedKey | PathProblem[] {
  // A key pasted here instead of a variable's name must not be echoed back as a "name".
  if (!VARIABLE_NAME.test(name) || keyMode(name) !== 'unknown') {
    return problem('takes the name of the environment variable that holds the key (e.g. ACME_API_KEY); this value is not a variable name');
  }
  const key = env[name];
  if (key === undefined) return problem(`${name} is not set`);
  if (key.trim() === '') return problem(`${name} is set but empty`);
  return checked(key, `${name}: `, problem) ?? { apiKey: key, keyFile: undefined, keySource: `env ${name}` };
}

function fromFile(path: string, dir: string, problem: (message: string) => PathProblem[]): ResolvedKey | PathProblem[] {
  const keyFile = isAbsolute(path) ? path : resolve(dir, path);
  try {
    return { apiKey: readKeyFile(keyFile), keyFile, keySource: `file ${keyFile}` };
  } catch (error) {
    // readKeyFile's message names the file and the cause, never the key.
    return problem(error instanceof Error ? error.message : String(error));
  }
}

function inline(key: string, written: unknown, place: KeyPlace, problem: (message: string) => PathProblem[]): ResolvedKey | PathProblem[] {
  const writtenText = typeof written === 'string' ? written.trim() : '';
  const variables = referencedVariables(writtenText);
  const onlyReference = variables.length === 1 && writtenText === `\${${variables[0]}}`;
  const isBad = checked(key, '', problem);
  if (isBad) return isBad;
  if (onlyReference) return { apiKey: key, keyFile: undefined, keySource: `env ${variables[0]}` };
  if (process.platform !== 'win32' && (place.fileMode & 0o077) !== 0) {
    return problem(
      `a key written in the config file needs a file only its owner can read, and ${place.file} has mode ${place.fileMode.toString(8).padStart(4, '0')}: ` +
        `run chmod 600 ${place.file}, or move the key to an environment variable (apiKeyEnv) or a file of its own (apiKeyFile)`,
    );
  }
  return { apiKey: key, keyFile: undefined, keySource: 'inline' };
}

/** Problems when the text cannot be a key (core's checkApiKey: empty, white space); undefined when it can. */
function checked(key: string, prefix: string, problem: (message: string) => PathProblem[]): PathProblem[] | undefined {
  try {
    checkApiKey(key);
    return undefined;
  } catch (error) {
    if (error instanceof ConfigError) return problem(`${prefix}${error.message}`);
    throw error;
  }
}
