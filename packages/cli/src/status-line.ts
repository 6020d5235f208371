/**
 * Live progress of a sync. On a terminal: one line redrawn in place (events, events/s,
 * lag behind now, rate-limit budget left). Elsewhere: a plain line every `logEveryMs`,
 * so logs of a daemon show it is alive without drowning in redraws.
 */
import type { BucketReading, SyncProgress } from '@eventsync/core';

export interface StatusSource {
  progress(): SyncProgress;
  bucket(): BucketReading | undefined;
  /** Extra text, such as "paused 12 s by a 429". */
  note?(): string | undefined;
  /** Deliveries refused for a bad signature, when webhooks are on. */
  rejected?(): number;
  /** Requests sent to the API so far, to show what the sync spends of the key's budget. */
  requests?(): number;
}

export interface StatusLineOptions {
  readonly stream: NodeJS.WriteStream;
  readonly now?: () => number;
  readonly redrawMs?: number;
  readonly logEveryMs?: number;
  /** Show events per channel (webhook / poll). */
  readonly channels?: boolean;
}

export class StatusLine {
  private timer: ReturnType<typeof setInterval> | undefined;
  private readonly samples: Array<{ at: number; delivered: number }> = [];
  /** Requests per minute are counted over a longer stretch than events per second: polls are seconds apart. */
  private readonly requestSamples: Array<{ at: number; requests: number }> = [];
  private lastLogAt = 0;
  private drawn = false;

  constructor(
    private readonly source: StatusSource,
    private readonly options: StatusLineOptions,
  ) {}

  start(): void {
    const interactive = this.options.stream.isTTY === true;
    this.timer = setInterval(() => this.tick(interactive), interactive ? (this.options.redrawMs ?? 250) : 1_000);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    if (this.drawn) this.options.stream.write('\n');
    this.drawn = false;
  }

  /** Wipes the drawn line so a log line can be written in its place; the next tick redraws. */
  clear(): void {
    if (this.drawn) this.options.stream.write('\r\x1b[2K');
    this.drawn = false;
  }

  render(): string {
    const now = (this.options.now ?? Date.now)();
    const progress = this.source.progress();
    this.samples.push({ at: now, delivered: progress.delivered });
    while (this.samples.length > 2 && now - this.samples[0]!.at > 5_000) this.samples.shift();
    const first = this.samples[0]!;
    const seconds = (now - first.at) / 1000;
    const rate = seconds > 0 ? (progress.delivered - first.delivered) / seconds : 0;
    const reference = progress.newestEventAt ?? progress.watermark;
    const lag = reference === null ? 'lag -' : `lag ${formatSeconds(now - reference)}`;
    const reading = this.source.bucket();
    const budget =
      reading?.remaining === undefined ? 'budget -' : `budget ${reading.remaining}${reading.limit === undefined ? '' : `/${reading.limit}`} left`;
    const count = (value: number): string => value.toLocaleString('en-US');
    const events = this.options.channels
      ? `${count(progress.delivered)} events (webhook ${count(progress.byChannel.webhook)}, poll ${count(progress.byChannel.poll)}, dup ${count(progress.duplicatesSkipped)})`
      : `${count(progress.delivered)} events`;
    const parts = [events, `${count(Math.round(rate))}/s`, lag, budget];
    const perMinute = this.requestsPerMinute(now);
    if (perMinute !== undefined) parts.push(`${count(Math.round(perMinute))} req/min`);
    const rejected = this.source.rejected?.() ?? 0;
    if (rejected > 0) parts.push(`${count(rejected)} bad signatures`);
    const note = this.source.note?.() ?? (progress.waitingOn ? `retrying: ${progress.waitingOn.message}` : undefined);
    if (note) parts.push(note);
    return parts.join(' | ');
  }

  private requestsPerMinute(now: number): number | undefined {
    const requests = this.source.requests?.();
    if (requests === undefined) return undefined;
    this.requestSamples.push({ at: now, requests });
    while (this.requestSamples.length > 2 && now - this.requestSamples[0]!.at > 60_000) this.requestSamples.shift();
    const first = this.requestSamples[0]!;
    const minutes = (now - first.at) / 60_000;
    return minutes > 0 ? (requests - first.requests) / minutes : undefined;
  }

  private tick(interactive: boolean): void {
    const line = this.render();
    if (interactive) {
      const width = this.options.stream.columns ?? 120;
      this.options.stream.write(`\r\x1b[2K${line.slice(0, Math.max(20, width - 1))}`);
      this.drawn = true;
      return;
    }
    const now = (this.options.now ?? Date.now)();
    if (now - this.lastLogAt >= (this.options.logEveryMs ?? 15_000)) {
      this.lastLogAt = now;
      this.options.stream.write(`eventsync: ${line}\n`);
    }
  }
}

export function formatSeconds(ms: number): string {
  const seconds = Math.max(0, ms) / 1000;
  if (seconds < 90) return `${seconds.toFixed(1)}s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)}m`;
  if (seconds < 172_800) return `${(seconds / 3600).toFixed(1)}h`;
  return `${Math.round(seconds / 86_400)}d`;
}
