/**
 * SIGHUP from start-up to exit. `subscriptions rotate` signals the sync that holds the state
 * lock, and the lock is held before the sync runs and after it stops: a SIGHUP left to its
 * default then would end the process half-started or half-stopped, with its subscription
 * left behind.
 */
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { SyncEngine } from '@eventsync/core';
import type { NodeClient } from '@eventsync/core/node';
import { Operations } from '../src/ops/operations.js';
import type { WebhookChannel } from '../src/webhook-channel.js';

const settings = { metrics: undefined, alertUrl: undefined, alertLagMs: 600_000, rotateSecretEveryMs: undefined };

function operations(listening: boolean) {
  const signals = new EventEmitter();
  const lines: string[] = [];
  const created = Operations.create({
    settings,
    keyFile: undefined,
    apiKey: 'key_test_0000',
    once: false,
    listening,
    healthIntervalMs: 60_000,
    log: (line) => lines.push(line),
    signals: signals as unknown as Pick<NodeJS.Process, 'on' | 'off'>,
  });
  return { created, signals, lines };
}

/** A webhook channel that counts the rotations asked of it. */
function channel() {
  const rotations = { count: 0 };
  const webhooks = { subscriptionId: 'sub_1', rotateSecret: async () => (rotations.count++, true) } as unknown as WebhookChannel;
  return { webhooks, rotations };
}

const running = (webhooks: WebhookChannel) => ({ name: 'acme@api.test', client: {} as NodeClient, engine: {} as SyncEngine, sinkDescription: 'events.ndjson', webhooks });

describe('Operations and SIGHUP', () => {
  it('catches a SIGHUP that arrives during start-up and rotates once the sync runs', async () => {
    const { created, signals, lines } = operations(true);
    const ops = await created;
    expect(signals.listenerCount('SIGHUP')).toBe(1);
    signals.emit('SIGHUP');
    signals.emit('SIGHUP');
    const { webhooks, rotations } = channel();
    expect(rotations.count).toBe(0);
    await ops.start(running(webhooks));
    expect(rotations.count).toBe(1);
    expect(lines).toContain('SIGHUP during start-up: acted on once the sync is running');
    signals.emit('SIGHUP');
    expect(rotations.count).toBe(2);
    await ops.stop();
  });

  it('keeps SIGHUP caught once stopped, doing nothing with it', async () => {
    const { created, signals, lines } = operations(true);
    const ops = await created;
    const { webhooks, rotations } = channel();
    await ops.start(running(webhooks));
    await ops.stop();
    expect(signals.listenerCount('SIGHUP')).toBe(1);
    signals.emit('SIGHUP');
    expect(rotations.count).toBe(0);
    expect(lines).toContain('SIGHUP while stopping: nothing to rotate or re-read');
  });

  it('leaves SIGHUP alone when there is nothing to rotate or re-read', async () => {
    const { created, signals } = operations(false);
    await created;
    expect(signals.listenerCount('SIGHUP')).toBe(0);
  });
});
