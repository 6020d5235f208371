/** Shared by the benchmarks: a sandbox in its own process (one tenant or many), timing and reporting. */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { SandboxOptions } from '@eventsync/sandbox';

const SANDBOX_CHILD = fileURLToPath(new URL('../packages/sandbox/dist/child.js', import.meta.url));
export const CLI = fileURLToPath(new URL('../packages/cli/dist/bin.js', import.meta.url));

/** One tenant of a multi-tenant sandbox, as its child prints it: the slug is the tenant's name, the key picks it. */
export interface SandboxTenantKey {
  readonly slug: string;
  readonly apiKey: string;
}

export interface SandboxProcess {
  readonly url: string;
  readonly baseUrl: string;
  readonly apiKey: string;
  /** With `tenants: N` in the options: every tenant, in order; otherwise empty. */
  readonly tenants: readonly SandboxTenantKey[];
  /** The sandbox's process id, for what a benchmark reads about it (or leaves out of its sums). */
  readonly pid: number;
  stop(): Promise<void>;
}

/**
 * A sandbox in another process, so the client under test does not share its event loop with
 * the server. It runs with Node's default flags: NODE_OPTIONS given to a benchmark are for the
 * client, and a heap cap meant for it would leave the server, which holds the whole backlog,
 * collecting garbage instead of answering (or out of memory).
 */
export async function sandboxProcess(options: SandboxOptions): Promise<SandboxProcess> {
  const { NODE_OPTIONS: _clientFlags, ...env } = process.env;
  const child: ChildProcess = spawn(process.execPath, [SANDBOX_CHILD, JSON.stringify(options)], { stdio: ['ignore', 'pipe', 'inherit'], env });
  const lines = createInterface({ input: child.stdout! });
  const first = await new Promise<string>((resolve, reject) => {
    lines.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`sandbox exited with ${code} before listening`)));
  });
  const { url, baseUrl, apiKey, tenants = [] } = JSON.parse(first) as { url: string; baseUrl: string; apiKey: string; tenants?: SandboxTenantKey[] };
  return {
    url,
    baseUrl,
    apiKey,
    tenants,
    pid: child.pid!,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export function verdict(ok: boolean): string {
  return ok ? 'meets target' : 'MISSES target';
}
