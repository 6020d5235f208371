/**
 * The connections this process syncs right now, each a ConnectionRunner. Without a
 * coordinator that is every connection in the config file; with one, the leases this
 * worker holds (coordinated-assignment.ts), and connections come and go as leases move.
 */
import type { ConnectionConfig } from '../config/run-config.js';
import { ConnectionRunner, type RunnerObservers, type RunnerShared } from './connection-runner.js';

export class RunnerSet {
  private readonly runners = new Map<string, ConnectionRunner>();

  constructor(
    private readonly shared: RunnerShared,
    /** The operations layer's observers for a connection. */
    private readonly observersFor: (connection: ConnectionConfig) => RunnerObservers = () => ({}),
  ) {}

  get names(): string[] {
    return [...this.runners.keys()];
  }

  get all(): ConnectionRunner[] {
    return [...this.runners.values()];
  }

  get(name: string): ConnectionRunner | undefined {
    return this.runners.get(name);
  }

  /** Starts syncing `connection`, with what the caller adds to the shared parts (a lease's fence). */
  start(connection: ConnectionConfig, shared: Partial<RunnerShared> = {}): ConnectionRunner {
    const running = this.runners.get(connection.name);
    if (running) return running;
    const runner = new ConnectionRunner(connection, { ...this.shared, ...shared }, this.observersFor(connection)).start();
    this.runners.set(connection.name, runner);
    return runner;
  }

  /** Stops one connection cleanly (its subscription deleted): a shutdown or a hand-over. */
  async stop(name: string): Promise<void> {
    const runner = this.runners.get(name);
    this.runners.delete(name);
    await runner?.stop();
  }

  /** Its lease is gone: stop writing at once and leave the subscription to the new owner to replace. */
  async abandon(name: string): Promise<void> {
    const runner = this.runners.get(name);
    this.runners.delete(name);
    await runner?.abandon();
  }

  async stopAll(): Promise<void> {
    const runners = this.all;
    this.runners.clear();
    await Promise.all(runners.map((runner) => runner.stop()));
  }
}
