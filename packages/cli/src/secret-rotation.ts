/**
 * The API's secret rotation (docs/api-contract.md, Signatures), done with no gap, as one procedure for both places that
 * rotate: `sync --listen` (its own subscription, on SIGHUP or --rotate-secret-every) and
 * `eventsync subscriptions rotate <id>` (a subscription whose handler someone else runs).
 *
 *   1. create a second subscription with the same URL, events, description and owner;
 *   2. make the handler accept both secrets, at once: the API may deliver on the new
 *      subscription as soon as it exists. A handler in this process (`sync --listen`) takes
 *      the secret in the same tick the answer arrives, and holds deliveries it cannot verify
 *      until then (WebhookIntake's `secretArriving`);
 *   3. pause the new one, so that a handler someone updates by hand cannot fail its
 *      deliveries meanwhile (and trip the API's circuit breaker, which counts every failure
 *      of an active subscription); the old one still delivers everything;
 *   4. verify traffic flows on the new one: a test delivery (sent even to a paused
 *      subscription) that the handler accepts;
 *   5. enable the new one, then delete the old one: every event is delivered by at least
 *      one of the two, and twice during the overlap (handlers dedupe by event id);
 *   6. drop the old secret.
 *
 * A failure before step 5 undoes what was done (the new subscription is deleted, the old
 * secret alone is accepted again), so a failed rotation leaves things as they were.
 */
import type { CreatedSubscription, Subscription, Subscriptions } from '@eventsync/core';

export interface RotationSteps {
  readonly subscriptions: Pick<Subscriptions, 'get' | 'create' | 'enable' | 'disable' | 'delete' | 'test'>;
  /** Step 2: from now on the handler accepts both secrets. Called as soon as the new subscription exists. */
  readonly acceptBoth: (created: CreatedSubscription, old: Subscription) => Promise<void>;
  /** Undoes step 2 after a failure: the old secret alone again. */
  readonly acceptOldOnly: (created: CreatedSubscription) => Promise<void>;
  /** Step 5, once the old subscription is gone. */
  readonly dropOld: (old: Subscription, created: CreatedSubscription) => Promise<void>;
  /** Step 3 sends a test delivery this often until one is accepted, for at most `verifyWithinMs`. */
  readonly verifyEveryMs: number;
  readonly verifyWithinMs: number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly now: () => number;
  readonly log: (line: string) => void;
}

export interface Rotated {
  readonly old: Subscription;
  readonly created: CreatedSubscription;
}

export class RotationFailed extends Error {
  override readonly name = 'RotationFailed';
}

export async function rotateSecret(oldId: string, steps: RotationSteps): Promise<Rotated> {
  const { subscriptions, log } = steps;
  const old = await subscriptions.get(oldId);
  const created = await subscriptions.create({
    url: old.url,
    events: old.events,
    ...(old.description === null ? {} : { description: old.description }),
    ...(old.managed_by === null ? {} : { managedBy: old.managed_by }),
  });
  log(`rotating the signing secret of ${old.id}: created ${created.id} with the same URL and events`);
  try {
    await steps.acceptBoth(created, old);
    await subscriptions.disable(created.id);
    await verifyTraffic(created.id, steps);
    if (old.active) await subscriptions.enable(created.id);
  } catch (error) {
    await undo(created, steps);
    throw error;
  }
  await subscriptions.delete(old.id);
  log(`deleted ${old.id}: ${created.id} delivers alone now`);
  await steps.dropOld(old, created);
  return { old, created };
}

async function verifyTraffic(id: string, steps: RotationSteps): Promise<void> {
  const deadline = steps.now() + steps.verifyWithinMs;
  for (;;) {
    const result = await steps.subscriptions.test(id);
    if (result.ok) return;
    if (steps.now() + steps.verifyEveryMs > deadline) {
      const answer = result.http_status === null ? 'no answer' : `HTTP ${result.http_status}`;
      throw new RotationFailed(`the handler did not accept a test delivery signed with the new secret (last answer: ${answer})`);
    }
    await steps.sleep(steps.verifyEveryMs);
  }
}

async function undo(created: CreatedSubscription, steps: RotationSteps): Promise<void> {
  await steps.acceptOldOnly(created).catch(() => undefined);
  await steps.subscriptions.delete(created.id).then(
    () => steps.log(`rotation undone: deleted ${created.id}; the old subscription and secret stay as they were`),
    () => steps.log(`rotation failed and ${created.id} could not be deleted: delete it with eventsync subscriptions delete ${created.id}`),
  );
}
