/**
 * Tells when events commit. The store already knows each event's commit instant
 * (`visibleAt`, on the sandbox clock); this holds the pending ones in a min-heap and wakes
 * up when the earliest is due. The clock may be a test's manual clock that nobody ticks,
 * so a wait is never longer than POLL_MS: a moved clock is noticed within that.
 */

export interface Pending<T> {
  readonly dueMs: number;
  readonly item: T;
}

/** Longest sleep between looks at the clock. */
export const POLL_MS = 50;

export class CommitWatcher<T> {
  private readonly heap: Pending<T>[] = [];
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly now: () => number,
    private readonly onCommit: (item: T) => void,
  ) {}

  get size(): number {
    return this.heap.length;
  }

  add(dueMs: number, item: T): void {
    if (this.stopped) return;
    push(this.heap, { dueMs, item });
    // A new earliest entry may need an earlier wake-up than the one armed.
    if (this.heap[0]!.item === item) this.rearm();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.heap.length = 0;
  }

  private rearm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const first = this.heap[0];
    if (!first || this.stopped) return;
    const wait = Math.min(POLL_MS, Math.max(0, first.dueMs - this.now()));
    this.timer = setTimeout(() => this.flush(), wait);
    this.timer.unref();
  }

  private flush(): void {
    this.timer = undefined;
    const now = this.now();
    while (this.heap.length > 0 && this.heap[0]!.dueMs <= now && !this.stopped) {
      this.onCommit(pop(this.heap)!.item);
    }
    this.rearm();
  }
}

function push<T>(heap: Pending<T>[], entry: Pending<T>): void {
  heap.push(entry);
  let i = heap.length - 1;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (heap[parent]!.dueMs <= entry.dueMs) break;
    heap[i] = heap[parent]!;
    i = parent;
  }
  heap[i] = entry;
}

function pop<T>(heap: Pending<T>[]): Pending<T> | undefined {
  const top = heap[0];
  const last = heap.pop();
  if (heap.length === 0 || last === undefined) return top;
  let i = 0;
  for (;;) {
    const left = 2 * i + 1;
    const right = left + 1;
    let smallest = i;
    const at = (k: number) => (k === i ? last.dueMs : heap[k]!.dueMs);
    if (left < heap.length && heap[left]!.dueMs < at(smallest)) smallest = left;
    if (right < heap.length && heap[right]!.dueMs < at(smallest)) smallest = right;
    if (smallest === i) break;
    heap[i] = heap[smallest]!;
    i = smallest;
  }
  heap[i] = last;
  return top;
}
