/** `eventsync sync` with no API configured: a sandbox in the process, announced, with data of its own. */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ClientConfig, PresetName } from '@eventsync/core';
import type { Sandbox } from '@eventsync/sandbox';

/** Events per second of the embedded sandbox's generator: enough to watch, little enough to read. */
const EMBEDDED_RATE = 20;
/** Share of webhook deliveries the embedded sandbox loses, so the polling fallback has work to show. */
const EMBEDDED_DROP = 0.2;
const EMBEDDED_BACKLOG = 600;

export interface EmbeddedSandbox {
  readonly sandbox: Sandbox;
  readonly config: ClientConfig;
  /** `<data-dir>/sandbox`, emptied: the sandbox is new on every run, so its checkpoint and file are too. */
  readonly dataDir: string;
}

export async function startEmbeddedSandbox(preset: PresetName, dataDir: string, stderr: NodeJS.WritableStream): Promise<EmbeddedSandbox> {
  // Loaded only here: a sync against a real API should not carry the sandbox's code.
  const { startSandbox } = await import('@eventsync/sandbox');
  const sandbox = await startSandbox({
    preset,
    seed: Date.now() % 1_000_000,
    backlog: { count: EMBEDDED_BACKLOG, spanMs: 60 * 60 * 1000 },
    generator: { ratePerSecond: EMBEDDED_RATE },
    webhooks: { faults: { dropRate: EMBEDDED_DROP } },
  });
  const ownDir = join(dataDir, 'sandbox');
  await rm(ownDir, { recursive: true, force: true });
  stderr.write(
    `eventsync: no API configured (EVENTSYNC_BASE_URL, EVENTSYNC_API_KEY), so syncing from an embedded sandbox at ${sandbox.baseUrl}\n` +
      `eventsync: it generates ${EMBEDDED_RATE} events/s after a backlog of ${EMBEDDED_BACKLOG} and delivers them by webhook, dropping ${EMBEDDED_DROP * 100}% of deliveries: watch polling fill the gaps.\n` +
      'eventsync: set both variables to sync a real API.\n',
  );
  return { sandbox, config: { baseUrl: sandbox.url, apiKey: sandbox.apiKey, preset }, dataDir: ownDir };
}
