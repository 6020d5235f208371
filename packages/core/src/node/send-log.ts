/**
 * One bucket's sends from this process, and the rolling-window rule on them: a request may
 * go when fewer than N sends are in the window.
 *
 * The server counted each request at some moment between its send and its answer, and the
 * client cannot tell when. So a send holds its place for its whole round trip (while it is
 * on the wire it counts, however long ago it left) and its window runs from its answer: the
 * margin each request needs is its own measured round trip, no more and no less.
 */
export class SendLog {
  private onWire = 0;
  /** Answer times, oldest first; `head` skips those that have left the window without shifting. */
  private answers: number[] = [];
  private head = 0;

  /** A request goes now. */
  sent(): void {
    this.onWire++;
  }

  /** A request's answer (or failure) arrived at `at`. */
  answered(at: number): void {
    this.onWire--;
    // Kept in order even if the clock steps back: a later entry only errs on the safe side.
    this.answers.push(Math.max(at, this.answers.at(-1) ?? at));
  }

  /**
   * The earliest moment one more request may go under `limit` per `windowMs`: `now` when
   * the window has room, Infinity when the slot waits for an answer still to come.
   */
  nextSlot(limit: number, windowMs: number, now: number): number {
    const count = this.count(windowMs, now);
    if (count < limit) return now;
    // Enough sends must leave that fewer than `limit` remain; answered ones leave first, oldest first.
    const leaving = this.head + count - limit;
    return leaving < this.answers.length ? this.answers[leaving]! + windowMs : Number.POSITIVE_INFINITY;
  }

  /** Sends in the window as of `now`, those on the wire included (`now` may be a moment ago: nothing past it is dropped). */
  count(windowMs: number, now: number): number {
    // As the server prunes: an entry leaves exactly one window after it was counted.
    while (this.head < this.answers.length && this.answers[this.head]! + windowMs <= now) this.head++;
    if (this.head > 64 && this.head * 2 > this.answers.length) {
      this.answers = this.answers.slice(this.head);
      this.head = 0;
    }
    return this.onWire + this.answers.length - this.head;
  }
}
