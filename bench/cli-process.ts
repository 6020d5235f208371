/**
 * The `eventsync run` and `eventsync sync` processes the many-connection benchmarks measure:
 * started as children (so their CPU and memory are theirs alone), read from /proc (CPU
 * seconds, RSS, open files) and from their own /metrics (each connection's checkpoint lag),
 * and the config file `run` reads, written for a sandbox's tenants.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { CLI, type SandboxTenantKey } from './support.ts';
import { Scrape } from '../test/support/ops.ts';

/** Clock ticks per second of /proc/<pid>/stat's utime and stime. */
const TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

export interface CliProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Everything the process wrote on stderr so far. */
  stderr(): string;
  /** The first match of `pattern` in stderr, waited for; a process that exits first fails it with its stderr. */
  waitForStderr(pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray>;
  /** Its /metrics origin, from the "health, metrics and status page at ..." line (metrics on port 0). */
  metricsOrigin(timeoutMs?: number): Promise<string>;
  /** SIGTERM, then the exit; SIGKILL if it takes longer than `graceMs`. */
  stop(graceMs?: number): Promise<number | null>;
  readonly exited: Promise<number | null>;
}

export function startCliProcess(args: readonly string[], env: Record<string, string> = {}): CliProcess {
  // NODE_OPTIONS given to the benchmark runner are not the measured process's.
  const { NODE_OPTIONS: _runnerFlags, ...inherited } = process.env;
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...inherited, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  let done = false;
  const exited = new Promise<number | null>((resolve) =>
    child.on('close', (code) => {
      done = true;
      resolve(code);
    }),
  );
  const waitForStderr = async (pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const match = pattern.exec(stderr);
      if (match) return match;
      if (done) throw new Error(`eventsync ${args[0]} exited before printing ${pattern}:\n${stderr}`);
      if (Date.now() > deadline) throw new Error(`eventsync ${args[0]} printed no ${pattern} within ${timeoutMs} ms:\n${stderr.slice(-2000)}`);
      await sleep(50);
    }
  };
  return {
    child,
    pid: child.pid!,
    stderr: () => stderr,
    waitForStderr,
    metricsOrigin: async (timeoutMs = 60_000) => (await waitForStderr(/health, metrics and status page at (http:\/\/[^/\s]+)\//, timeoutMs))[1]!,
    stop: async (graceMs = 30_000) => {
      if (done) return exited;
      child.kill('SIGTERM');
      const late = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const code = await exited;
      clearTimeout(late);
      return code;
    },
    exited,
  };
}

export interface ProcessUsage {
  /** User + system CPU time since the process started. */
  readonly cpuSeconds: number;
  /** Resident set size now. */
  readonly rssBytes: number;
}

/** utime + stime (fields 14 and 15 of /proc/<pid>/stat) and VmRSS (/proc/<pid>/status). */
export async function processUsage(pid: number): Promise<ProcessUsage> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces; the fields after it start past its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cpuSeconds = (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const rssKiB = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? Number.NaN);
  return { cpuSeconds, rssBytes: rssKiB * 1024 };
}

/** File descriptors the process holds open now. */
export async function openFiles(pid: number): Promise<number> {
  return (await readdir(`/proc/${pid}/fd`)).length;
}

export interface SyncScrape {
  /** Each connection's `eventsync_checkpoint_lag_seconds`; a connection without a watermark yet (NaN) is left out. */
  readonly lags: Map<string, number>;
  /** `eventsync_events_written_total` by channel, summed over the connections. */
  readonly written: { readonly poll: number; readonly webhook: number };
  /** The scrape's size, and its time from request to the last byte (the process renders it on its event loop). */
  readonly bytes: number;
  readonly ms: number;
}

/**
 * One scrape of a run's or a sync's /metrics: lags keyed by the `connection` label (`run`),
 * or by `fallbackName` for `sync`'s unlabelled gauge.
 */
export async function scrapeSync(origin: string, fallbackName = ''): Promise<SyncScrape> {
  const startedAt = performance.now();
  const response = await fetch(`${origin}/metrics`);
  if (!response.ok) throw new Error(`${origin}/metrics answered ${response.status}`);
  const text = await response.text();
  const ms = performance.now() - startedAt;
  const scrape = new Scrape(text);
  const lags = new Map<string, number>();
  for (const sample of scrape.family('eventsync_checkpoint_lag_seconds').metrics) {
    const value = Number(sample.value);
    if (!Number.isNaN(value)) lags.set(sample.labels?.connection ?? fallbackName, value);
  }
  const written = (channel: string) => (scrape.has('eventsync_events_written_total') ? scrape.sum('eventsync_events_written_total', { channel }) : 0);
  return { lags, written: { poll: written('poll'), webhook: written('webhook') }, bytes: Buffer.byteLength(text), ms };
}

/** The q-quantile (0..1) of `values`, nearest rank. */
export function percentile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/**
 * An `eventsync run` config file with one connection per tenant, keys inline (so the file is
 * written 0600, as the loader demands), `defaults` and the top-level settings given as YAML lines.
 */
export async function writeRunConfig(path: string, options: { baseUrl: string; tenants: readonly SandboxTenantKey[]; defaults: readonly string[]; topLevel: readonly string[] }): Promise<void> {
  const connections = options.tenants.map((tenant) => `  - { name: ${tenant.slug}, apiKey: "${tenant.apiKey}" }`);
  const lines = ['version: 1', 'defaults:', `  baseUrl: "${options.baseUrl}"`, ...options.defaults.map((line) => `  ${line}`), ...options.topLevel, 'connections:', ...connections, ''];
  await writeFile(path, lines.join('\n'), { mode: 0o600 });
}
