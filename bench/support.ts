/** Shared by the benchmarks: a sandbox in its own process, timing and reporting. */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { SandboxOptions } from '@eventsync/sandbox';

const SANDBOX_CHILD = fileURLToPath(new URL('../packages/sandbox/dist/child.js', import.meta.url));
export const CLI = fileURLToPath(new URL('../packages/cli/dist/bin.js', import.meta.url));

export interface SandboxProcess {
  readonly url: string;
  readonly baseUrl: string;
  readonly apiKey: string;
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
  const info = JSON.parse(first) as { url: string; baseUrl: string; apiKey: string };
  return {
    ...info,
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
