/** The client wired for Node: axios transport, Bottleneck limiter, real clock and sleep. */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { resolveConfig, type ClientConfig } from '../config.js';
import { EventsyncClient } from '../eventsync-client.js';
import { createAxiosTransport, type AxiosTransportOptions } from './axios-transport.js';
import { BottleneckLimiter } from './bottleneck-limiter.js';

export interface NodeClientOptions extends AxiosTransportOptions {
  /** Share one limiter between clients that share a key. */
  readonly limiter?: BottleneckLimiter;
}

export interface NodeClient extends EventsyncClient {
  readonly limiter: BottleneckLimiter;
  /** Releases sockets and timers so the process can exit. */
  close(): void;
}

export function createNodeClient(config: ClientConfig, options: NodeClientOptions = {}): NodeClient {
  const resolved = resolveConfig(config);
  const transport = createAxiosTransport(options);
  const limiter =
    options.limiter ?? new BottleneckLimiter({ policies: [resolved.policies.read, resolved.policies.write] });
  const client = new EventsyncClient(resolved, {
    transport,
    limiter,
    sleep: (ms) => sleep(ms),
    now: Date.now,
    random: Math.random,
    newIdempotencyKey: randomUUID,
  });
  return Object.assign(client, {
    limiter,
    close: () => {
      transport.close();
      limiter.stop();
    },
  });
}
