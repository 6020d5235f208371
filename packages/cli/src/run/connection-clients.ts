/**
 * The API clients of `eventsync run`: one per connection, sharing what a process should
 * hold only once. One keep-alive transport (a thousand connections to one API need a few
 * dozen sockets, not a thousand), the FairGate in front of it, and one rate limiter per API
 * key: two connections configured with the same key draw on one budget, as the API counts
 * it (and through Redis when `sharedLimiter` is set, across every process on that key).
 */
import { createHash } from 'node:crypto';
import { resolveConfig, type ClientConfig } from '@eventsync/core';
import { createAxiosTransport, createKeyLimiter, createNodeClient, type NodeClient, type NodeClientOptions, type RedisRateLog, type RollingWindowLimiter } from '@eventsync/core/node';
import { FairGate } from './fair-gate.js';

export interface ConnectionClientsOptions {
  /** Requests on the wire at once, across connections. */
  readonly slots: number;
  /** `redis://...`: the per-key budget shared with other processes. */
  readonly sharedLimiter: string | undefined;
  readonly log: (line: string) => void;
}

export class ConnectionClients {
  readonly gate: FairGate;
  private readonly transport = createAxiosTransport({ maxSockets: 64 });
  private readonly limiters = new Map<string, { limiter: RollingWindowLimiter; shared: RedisRateLog | undefined }>();
  private warnedShared = false;

  constructor(private readonly options: ConnectionClientsOptions) {
    this.gate = new FairGate(options.slots);
  }

  /** A client for `connection`; closing it leaves the shared transport and limiter to this pool. */
  create(connection: string, config: ClientConfig, budgetShare: number, hooks: Pick<NodeClientOptions, 'onRequest' | 'refreshApiKey'> = {}): NodeClient {
    return createNodeClient(config, {
      ...hooks,
      transport: this.gate.transport(connection, this.transport),
      limiter: this.limiterFor(config, budgetShare),
    });
  }

  /** Connections sharing a key share this limiter: the budget belongs to the key. */
  limiterFor(config: ClientConfig, budgetShare: number): RollingWindowLimiter {
    const resolved = resolveConfig(config);
    const id = createHash('sha256').update(`${resolved.baseUrl}\n${resolved.apiKey}`).digest('hex');
    const existing = this.limiters.get(id);
    if (existing) return existing.limiter;
    const made = createKeyLimiter(resolved, {
      budgetShare,
      ...(this.options.sharedLimiter ? { sharedLimiterUrl: this.options.sharedLimiter, onSharedLimiterError: (error: unknown) => this.sharedFailed(error) } : {}),
    });
    this.limiters.set(id, made);
    return made.limiter;
  }

  close(): void {
    this.transport.close();
    for (const { limiter, shared } of this.limiters.values()) {
      limiter.stop();
      void shared?.close();
    }
    this.limiters.clear();
  }

  private sharedFailed(error: unknown): void {
    if (this.warnedShared) return;
    this.warnedShared = true;
    this.options.log(`the shared rate limiter failed (${error instanceof Error ? error.message : String(error)}); each key is limited within this process only`);
  }
}
