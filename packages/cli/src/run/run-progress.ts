/**
 * `eventsync run`'s progress on stderr: one line every so often (a daemon's log, not a
 * redrawn status line: a thousand connections do not fit on one), saying how many
 * connections sync, which fail and why, and what was written since the last line.
 */
import type { ConnectionRunner } from './connection-runner.js';
import type { RunnerSet } from './runner-set.js';

export interface RunProgressOptions {
  readonly runners: RunnerSet;
  readonly everyMs: number;
  readonly log: (line: string) => void;
}

export class RunProgress {
  private timer: ReturnType<typeof setInterval> | undefined;
  private writtenBefore = 0;

  constructor(private readonly options: RunProgressOptions) {}

  start(): void {
    this.timer = setInterval(() => this.options.log(this.line()), this.options.everyMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** For the end: what `runners` (the connections held at the stop) wrote since they started here. */
  summary(runners: readonly ConnectionRunner[], elapsedMs: number): string {
    const written = runners.reduce((sum, runner) => sum + runner.written, 0);
    const failing = runners.filter((runner) => runner.lastError !== undefined).length;
    return `${written.toLocaleString('en-US')} events written by ${runners.length} connections in ${(elapsedMs / 1000).toFixed(1)} s${failing ? `; ${failing} failing at the end` : ''}`;
  }

  /** e.g. `200 connections: 199 syncing, 1 failing (tenant-0007: the API key was refused ...); 1,234 events written in the last 30 s` */
  line(): string {
    const runners = this.options.runners.all;
    const counts = { starting: 0, syncing: 0, failing: 0, stopped: 0 };
    let written = 0;
    for (const runner of runners) {
      counts[runner.state]++;
      written += runner.written;
    }
    const failing = runners.filter((runner) => runner.state === 'failing');
    const named = failing
      .slice(0, 3)
      .map((runner) => `${runner.name}: ${briefly(runner.lastError?.message ?? 'failing')}`)
      .join('; ');
    const more = failing.length > 3 ? `; and ${failing.length - 3} more` : '';
    const states = [`${counts.syncing} syncing`, ...(counts.starting ? [`${counts.starting} starting`] : []), ...(counts.failing ? [`${counts.failing} failing (${named}${more})`] : [])];
    const since = Math.max(0, written - this.writtenBefore);
    this.writtenBefore = written;
    return `${runners.length} connections: ${states.join(', ')}; ${since.toLocaleString('en-US')} events written in the last ${Math.round(this.options.everyMs / 1000)} s`;
  }
}

/** An error's first clause: the whole message was logged when it happened. */
function briefly(message: string): string {
  const cut = message.search(/; |\. /);
  const first = cut === -1 ? message : message.slice(0, cut);
  return first.length > 100 ? `${first.slice(0, 99)}…` : first;
}
