/** Config files for the loader's tests: written to a fresh directory, with the mode asked for. */
import { chmod, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { ConfigFileError } from '../../src/config/config-errors.js';
import { loadRunConfig } from '../../src/config/load-config.js';

export const KEY = 'wlcro_test_acme0000key1';
export const OTHER_KEY = 'wlcro_test_beta0000key2';

export async function configDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'eventsync-config-'));
}

export async function configFile(text: string, options: { dir?: string; name?: string; mode?: number } = {}): Promise<string> {
  const path = join(options.dir ?? (await configDir()), options.name ?? 'eventsync.config.yaml');
  await writeFile(path, text);
  await chmod(path, options.mode ?? 0o600);
  return path;
}

/** The loader's error for this file: a ConfigFileError, whose message is returned. */
export async function problemsIn(path: string, env: NodeJS.ProcessEnv = {}): Promise<string> {
  const error = await loadRunConfig(path, env).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ConfigFileError);
  return (error as ConfigFileError).message;
}

/** The problems of a file that differs from a valid one-connection file by `connection` lines. */
export async function connectionProblems(connectionLines: string, env: NodeJS.ProcessEnv = {}, top = ''): Promise<string> {
  const text = `${top}connections:\n  - name: acme\n    baseUrl: https://api.example.com\n${connectionLines.replace(/^/gm, '    ')}\n`;
  return problemsIn(await configFile(text), env);
}
