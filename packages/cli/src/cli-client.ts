/** The Node client as every command builds it: shared limiter from flags or environment, its failures said once. */
import type { ClientConfig } from '@eventsync/core';
import { createNodeClient, type NodeClient, type NodeClientOptions } from '@eventsync/core/node';
import type { ConnectionFlags } from './connection.js';

export function createCliClient(
  config: ClientConfig,
  flags: ConnectionFlags,
  io: { env: NodeJS.ProcessEnv; stderr: NodeJS.WritableStream },
  budgetShare?: number,
  /** Observers of the client's requests and a source of a replaced key (sync's Operations). */
  hooks: Pick<NodeClientOptions, 'onRequest' | 'refreshApiKey'> = {},
): NodeClient {
  const sharedLimiterUrl = flags.sharedLimiter ?? io.env.EVENTSYNC_REDIS_URL;
  let warned = false;
  return createNodeClient(config, {
    ...hooks,
    ...(sharedLimiterUrl ? { sharedLimiterUrl } : {}),
    ...(budgetShare === undefined ? {} : { budgetShare }),
    onSharedLimiterError: (error) => {
      if (warned) return;
      warned = true;
      const reason = error instanceof Error ? error.message : String(error);
      io.stderr.write(`eventsync: the shared rate limiter at ${redact(sharedLimiterUrl ?? '')} failed (${reason}); limiting within this process only\n`);
    },
  });
}

/** A Redis URL may carry a password: show it without. */
function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '****';
    return parsed.toString();
  } catch {
    return 'the configured Redis';
  }
}
