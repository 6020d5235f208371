/** Runs the built `eventsync` command as a real child process, as a user would. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../../packages/cli/dist/bin.js', import.meta.url));

export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Environment without the caller's EVENTSYNC_* settings, plus `env`. */
export function cliEnv(env: Record<string, string> = {}): NodeJS.ProcessEnv {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('EVENTSYNC_')));
  return { ...clean, ...env };
}

export type CliChild = ChildProcess & {
  readonly result: Promise<CliResult>;
  /** What it has written to stderr so far. */
  stderrSoFar(): string;
};

export function startCli(args: string[], env: Record<string, string> = {}, cwd?: string): CliChild {
  const child = spawn(process.execPath, [CLI, ...args], { env: cliEnv(env), cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const result = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return Object.assign(child, { result, stderrSoFar: () => stderr });
}

export function runCli(args: string[], env: Record<string, string> = {}, cwd?: string): Promise<CliResult> {
  return startCli(args, env, cwd).result;
}

export function tempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `eventsync-${prefix}-`));
}

/** Ids of the events in an NDJSON file, in file order; a torn last line fails the parse loudly. */
export async function idsInFile(path: string): Promise<string[]> {
  const text = await readFile(path, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => (JSON.parse(line) as { id: string }).id);
}

export function duplicates(ids: readonly string[]): string[] {
  const seen = new Set<string>();
  return ids.filter((id) => (seen.has(id) ? true : (seen.add(id), false)));
}

/** Lines fully written so far (a kill -9 may leave a torn last one, which the next run cuts off). */
export async function completeLines(path: string): Promise<number> {
  const text = await readFile(path, 'utf8').catch(() => '');
  return text.split('\n').length - 1;
}

/** Starts `eventsync` and resolves once it says it is syncing (the API answered, the sink is open). */
export async function startSyncing(args: string[], env: Record<string, string> = {}): Promise<CliChild> {
  const child = startCli(args, env);
  await untilStderrHas(child, 'eventsync: syncing', 'start syncing');
  return child;
}

/** Resolves once the child has written `text` to stderr; throws, with what it wrote, after `timeoutMs`. */
export async function untilStderrHas(child: CliChild, text: string, what: string, timeoutMs = 10_000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !child.stderrSoFar().includes(text) && Date.now() < deadline; ) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  if (!child.stderrSoFar().includes(text)) throw new Error(`eventsync did not ${what} within ${timeoutMs / 1000} s:\n${child.stderrSoFar()}`);
}
