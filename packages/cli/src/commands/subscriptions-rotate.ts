/**
 * `eventsync subscriptions rotate <id>`: a new signing secret with no gap (secret-rotation.ts).
 *
 * When <id> is the subscription of a sync running with --listen on this machine (its state
 * directory names it), that sync is sent SIGHUP and does the rotation itself, since its
 * receiver is the handler; the command waits until it is done, or until the sync notes that
 * it failed (rotation-failure.ts) or stops. Any other subscription's handler is someone
 * else's: the command prints the new secret, waits until the handler accepts a test delivery
 * signed with it, then deletes the old subscription.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { stateLockOwner } from '@eventsync/core/node';
import { createCliClient } from '../cli-client.js';
import { requireApi, resolveConnection, type ConnectionFlags } from '../connection.js';
import { parseDuration } from '../durations.js';
import { clearRotationFailure, loadRotationFailure, type RotationFailure } from '../rotation-failure.js';
import { rotateSecret, RotationFailed } from '../secret-rotation.js';
import { SubscriptionFile } from '../subscription-file.js';
import { UsageError } from '../usage-error.js';

export interface RotateFlags extends ConnectionFlags {
  readonly dataDir: string;
  readonly stateDir?: string;
  readonly wait: string;
  readonly json?: boolean;
}

interface RotateIO {
  readonly env: NodeJS.ProcessEnv;
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
}

/** A handler being updated by hand gets a test delivery this often; each one it refuses is audited, none trips the breaker (the new subscription is paused). */
const TEST_EVERY_MS = 5_000;
/** How often the running sync's subscription file, failure note and lock are looked at while it rotates. */
const LOOK_EVERY_MS = 200;

/**
 * Adds `rotate <id>` under the `subscriptions` command. `withConnection` is the function
 * that gives a command the connection flags, so this keeps working however those are added.
 */
export function addSubscriptionsRotate(program: Command, io: RotateIO, withConnection: (command: Command) => Command): void {
  const subscriptions = program.commands.find((command) => command.name() === 'subscriptions');
  if (!subscriptions) throw new Error('the subscriptions command must be added before its rotate subcommand');
  // The action reads the parent's flags too: a parent that has the connection flags itself takes them from after `rotate`.
  withConnection(
    subscriptions
      .command('rotate')
      .description("New signing secret with no gap: a second subscription, both secrets accepted, traffic verified, the old one deleted")
      .argument('<id>', 'the subscription to rotate')
      .option('--data-dir <dir>', "where a sync's state is by default", './eventsync-data')
      .option('--state-dir <dir>', 'the state directory of the sync that owns the subscription, if one does (default <data-dir>/state)')
      .option('--wait <duration>', 'how long to wait for the handler (or the running sync) to accept the new secret', '10m')
      .option('--json', 'the new subscription (with its secret) as one JSON line'),
  ).action((id: string, _flags: RotateFlags, command: Command) => runRotate(id, command.optsWithGlobals<RotateFlags>(), io));
}

export async function runRotate(id: string, flags: RotateFlags, io: RotateIO): Promise<void> {
  const waitMs = parseDuration(flags.wait, '--wait');
  const stateDir = resolve(flags.stateDir ?? join(flags.dataDir, 'state'));
  const file = new SubscriptionFile(join(stateDir, 'subscription.json'));
  const saved = await file.load();
  // Mid-rotation the sync's file names the subscription it is replacing as `previous`: still the sync's.
  if (saved?.id === id || saved?.previous?.id === id) return rotateInRunningSync(id, stateDir, file, waitMs, io);

  const client = createCliClient(requireApi(resolveConnection(flags, io.env)), flags, io);
  const say = (line: string): void => void io.stderr.write(`eventsync: ${line}\n`);
  try {
    const { created } = await rotateSecret(id, {
      subscriptions: client.subscriptions,
      acceptBoth: async (subscription) => {
        io.stdout.write(
          flags.json
            ? `${JSON.stringify(subscription)}\n`
            : `new subscription ${subscription.id}\nsigning secret: ${subscription.secret}\n` +
                'Add it to your handler beside the current one (a verifier that takes both, as `eventsync verify --previous-secret-env` does), and store it where the old one is.\n',
        );
        say(`waiting up to ${flags.wait} for the handler to accept a test delivery signed with the new secret (one every ${TEST_EVERY_MS / 1000} s)`);
      },
      acceptOldOnly: async () => undefined,
      dropOld: async (old) => say(`done: ${old.id} is deleted; remove its secret from the handler`),
      verifyEveryMs: TEST_EVERY_MS,
      verifyWithinMs: waitMs,
      sleep: (ms) => sleep(ms),
      now: Date.now,
      log: say,
    });
    if (!flags.json) io.stdout.write(`rotated ${id} -> ${created.id}\n`);
  } finally {
    client.close();
  }
}

/** The subscription belongs to a sync: that sync's receiver must take the new secret, so the sync rotates. */
async function rotateInRunningSync(id: string, stateDir: string, file: SubscriptionFile, waitMs: number, io: RotateIO): Promise<void> {
  const owner = await stateLockOwner(stateDir);
  if (!owner?.alive) {
    throw new UsageError(
      `${id} is the webhook subscription of the sync whose state is in ${stateDir}, and that sync is not running here; ` +
        'its receiver must take the new secret, so start it (it reuses the subscription) and rotate then, or start it with --rotate-secret-every',
    );
  }
  if (owner.host !== hostname()) {
    throw new UsageError(`${id} is the webhook subscription of the sync running on ${owner.host} (pid ${owner.pid}); run this command there, where it can signal that sync`);
  }
  await clearRotationFailure(stateDir);
  process.kill(owner.pid, 'SIGHUP');
  io.stderr.write(`eventsync: ${id} belongs to the sync running as pid ${owner.pid}: sent it SIGHUP, which makes it rotate its secret\n`);
  const deadline = Date.now() + waitMs;
  while (Date.now() < deadline) {
    await sleep(LOOK_EVERY_MS);
    const saved = await file.load();
    if (saved && saved.id !== id && !saved.previous) {
      io.stdout.write(`rotated ${id} -> ${saved.id} (the running sync accepted both secrets during the overlap and keeps the new one in ${stateDir})\n`);
      return;
    }
    const failure = await loadRotationFailure(stateDir);
    if (failure?.subscription === id) throw new RotationFailed(describeFailure(failure, owner.pid));
    const holder = await stateLockOwner(stateDir);
    if (holder?.pid !== owner.pid || !holder.alive) throw new RotationFailed(`the sync (pid ${owner.pid}) stopped before it rotated ${id}`);
  }
  throw new RotationFailed(`the sync (pid ${owner.pid}) did not finish rotating ${id} within ${Math.round(waitMs / 1000)} s; its log says why`);
}

function describeFailure({ subscription, inUse, reason }: RotationFailure, pid: number): string {
  return inUse === subscription
    ? `the sync (pid ${pid}) could not rotate ${subscription} (${reason}); nothing changed: ${subscription} and its secret stay in use`
    : `the sync (pid ${pid}) went over to ${inUse} but could not finish rotating ${subscription} (${reason}); ` +
        `it deletes what is left of ${subscription} at its next rotation or start, and its log says more`;
}
