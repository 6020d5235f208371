/**
 * Requests of many connections in one process take turns (`eventsync run`).
 *
 * A connection draining a large backlog always has its next page to ask for; left alone it
 * would keep the shared sockets and the event loop busy while a thousand connections that
 * poll once every few seconds queue behind it, and their lag would grow with its backlog.
 * Here every connection queues its own requests, and a free slot goes to the connection
 * next in turn among those waiting: with N connections waiting, the busy one gets one slot
 * in N. A request that finds a free slot and nobody waiting goes straight through.
 *
 * The gate sits inside each connection's rate limiter, so waiting here only makes a request
 * later than its budget allowed, never earlier.
 */
import { StoppedError, type Transport } from '@eventsync/core';

interface Waiter {
  readonly go: () => void;
}

export class FairGate {
  private inFlight = 0;
  /** Connections with requests waiting, in the order they get their next slot. */
  private readonly turns: string[] = [];
  private readonly waiting = new Map<string, Waiter[]>();

  /** @param slots requests on the wire at once, across every connection. */
  constructor(private readonly slots: number) {
    if (!Number.isInteger(slots) || slots < 1) throw new RangeError(`FairGate needs at least one slot; got ${slots}`);
  }

  /** `inner`, with each of `connection`'s requests waiting for its turn first. */
  transport(connection: string, inner: Transport): Transport {
    return async (request) => {
      await this.turn(connection, request.signal);
      try {
        return await inner(request);
      } finally {
        this.handOn();
      }
    };
  }

  /** Requests waiting for a slot, across connections (for the status page and tests). */
  get queued(): number {
    let count = 0;
    for (const queue of this.waiting.values()) count += queue.length;
    return count;
  }

  private turn(connection: string, signal: AbortSignal | undefined): Promise<void> {
    if (signal?.aborted) return Promise.reject(new StoppedError());
    if (this.inFlight < this.slots && this.turns.length === 0) {
      this.inFlight++;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      let queue = this.waiting.get(connection);
      if (!queue) {
        queue = [];
        this.waiting.set(connection, queue);
        this.turns.push(connection);
      }
      const abandon = (): void => {
        this.remove(connection, waiter);
        reject(new StoppedError());
      };
      const waiter: Waiter = {
        go: () => {
          signal?.removeEventListener('abort', abandon);
          resolve();
        },
      };
      queue.push(waiter);
      signal?.addEventListener('abort', abandon, { once: true });
    });
  }

  /** A request ended: its slot goes to the next connection in turn, or is freed. */
  private handOn(): void {
    const connection = this.turns.shift();
    if (connection === undefined) {
      this.inFlight--;
      return;
    }
    const queue = this.waiting.get(connection)!;
    const next = queue.shift()!;
    if (queue.length > 0) this.turns.push(connection);
    else this.waiting.delete(connection);
    next.go();
  }

  private remove(connection: string, waiter: Waiter): void {
    const queue = this.waiting.get(connection);
    if (!queue) return;
    queue.splice(queue.indexOf(waiter), 1);
    if (queue.length > 0) return;
    this.waiting.delete(connection);
    this.turns.splice(this.turns.indexOf(connection), 1);
  }
}
