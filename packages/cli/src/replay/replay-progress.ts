/**
 * Replay's progress on stderr: on a terminal a bar redrawn in place (how far through the
 * sink, events sent, the rate); elsewhere a plain line every few seconds, as the sync's
 * status line does (status-line.ts).
 */
const BAR_WIDTH = 30;
const LOG_EVERY_MS = 5_000;

export class ReplayProgress {
  private readonly startedAt = Date.now();
  private lastDrawnAt = 0;
  private drawn = false;

  constructor(private readonly stream: NodeJS.WriteStream) {}

  update(sent: number, done: number): void {
    const now = Date.now();
    const interactive = this.stream.isTTY === true;
    if (now - this.lastDrawnAt < (interactive ? 100 : LOG_EVERY_MS)) return;
    this.lastDrawnAt = now;
    const rate = sent / Math.max(0.001, (now - this.startedAt) / 1000);
    const text = `${sent.toLocaleString('en-US')} events sent, ${Math.round(rate).toLocaleString('en-US')}/s, ${Math.floor(done * 100)}% of the sink read`;
    if (!interactive) {
      this.stream.write(`eventsync: replay: ${text}\n`);
      return;
    }
    const filled = Math.round(done * BAR_WIDTH);
    this.stream.write(`\r\x1b[2K[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${text}`);
    this.drawn = true;
  }

  /** Ends the bar's line so the summary starts on its own. */
  finish(): void {
    if (this.drawn) this.stream.write('\n');
    this.drawn = false;
  }
}
