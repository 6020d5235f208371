/** The client wired for Node: axios transport, rate limiter, real clock, and retry waits that the limiter's stop() cuts short. */
import { randomUUID } from 'node:crypto';
import { resolveConfig, type ClientConfig, type ResolvedConfig } from '../config.js';
import { EventsyncClient } from '../eventsync-client.js';
import type { Runtime, Transport } from '../transport.js';
import { createAxiosTransport, type AxiosTransportOptions } from './axios-transport.js';
import { RollingWindowLimiter } from './rolling-window-limiter.js';
import { RedisRateLog } from './redis-rate-log.js';
import { stoppableSleep } from './stoppable-sleep.js';

export interface NodeClientOptions extends AxiosTransportOptions {
  /** Share one limiter between clients in this process that share a key; its owner stops it, not this client's close(). */
  readonly limiter?: RollingWindowLimiter;
  /** Share one transport (its keep-alive sockets) between clients; its owner closes it, not this client's close(). */
  readonly transport?: Transport;
  /**
   * Share the rate-limit window with every process on this key through Redis, e.g. `redis://127.0.0.1:6379`.
   * Needs the optional peer dependency ioredis (`npm install ioredis`); without it, createNodeClient throws a ConfigError.
   */
  readonly sharedLimiterUrl?: string;
  /** The share of each rate-limit policy this client may use, in (0, 1]. Default 1. */
  readonly budgetShare?: number;
  /** Told when the shared store fails and the limiter falls back to its own log. */
  readonly onSharedLimiterError?: (error: unknown) => void;
  /** See Runtime.onRequest: every attempt's outcome, for metrics. */
  readonly onRequest?: Runtime['onRequest'];
  /** See Runtime.refreshApiKey: asked after a 401 for a key that replaced the refused one. */
  readonly refreshApiKey?: Runtime['refreshApiKey'];
}

export interface NodeClient extends EventsyncClient {
  readonly limiter: RollingWindowLimiter;
  /** Releases sockets and timers so the process can exit. */
  close(): void;
}

export function createNodeClient(config: ClientConfig, options: NodeClientOptions = {}): NodeClient {
  const resolved = resolveConfig(config);
  // First, since it throws when ioredis is not installed: nothing is left open behind the error.
  const own = options.limiter ? undefined : createKeyLimiter(resolved, options);
  const limiter = options.limiter ?? own!.limiter;
  const shared = own?.shared;
  const ownTransport = options.transport ? undefined : createAxiosTransport(options);
  const transport = options.transport ?? ownTransport!;
  const client = new EventsyncClient(resolved, {
    transport,
    limiter,
    // A retry's wait (Retry-After, back-off) is a wait for the budget too: stopping the limiter ends it.
    sleep: (ms, signal) => limiter.sleep(ms, signal),
    now: Date.now,
    random: Math.random,
    newIdempotencyKey: randomUUID,
    ...(options.onRequest ? { onRequest: options.onRequest } : {}),
    ...(options.refreshApiKey ? { refreshApiKey: options.refreshApiKey } : {}),
  });
  return Object.assign(client, {
    limiter,
    close: () => {
      ownTransport?.close();
      if (!options.limiter) limiter.stop();
      void shared?.close();
    },
  });
}

/**
 * The rate limiter for one API key: the config's policies, the client's share of them, and
 * with `sharedLimiterUrl` the key's window kept in Redis for every process on that key. Its
 * owner stops the limiter and closes `shared`.
 * @throws ConfigError when `sharedLimiterUrl` is set and ioredis is not installed; nothing is left open.
 */
export function createKeyLimiter(
  resolved: ResolvedConfig,
  options: Pick<NodeClientOptions, 'sharedLimiterUrl' | 'budgetShare' | 'onSharedLimiterError'>,
): { readonly limiter: RollingWindowLimiter; readonly shared: RedisRateLog | undefined } {
  const shared = options.sharedLimiterUrl ? new RedisRateLog(options.sharedLimiterUrl, resolved.apiKey) : undefined;
  const limiter = new RollingWindowLimiter({
    policies: [resolved.policies.read, resolved.policies.write],
    ...(shared ? { shared } : {}),
    ...(options.budgetShare === undefined ? {} : { budgetShare: options.budgetShare }),
    ...(options.onSharedLimiterError ? { onSharedError: options.onSharedLimiterError } : {}),
  });
  return { limiter, shared };
}
