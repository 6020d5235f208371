/**
 * The sync's own subscription (id and signing secret) in the state directory, mode 0600:
 * the secret is shown once by the API, and this file is the only place it lives. A crash
 * leaves it behind, so the next start reuses the subscription instead of orphaning it.
 */
import { readFile, rm } from 'node:fs/promises';
import { replaceFileAtomically } from '@eventsync/core/node';

export interface SavedSubscription {
  readonly id: string;
  readonly secret: string;
  readonly url: string;
}

export class SubscriptionFile {
  constructor(readonly path: string) {}

  async load(): Promise<SavedSubscription | undefined> {
    try {
      return JSON.parse(await readFile(this.path, 'utf8')) as SavedSubscription;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new Error(`${this.path} is unreadable; move it aside (the subscription it names can then be deleted with eventsync subscriptions delete)`);
    }
  }

  save(subscription: SavedSubscription): Promise<void> {
    return replaceFileAtomically(this.path, JSON.stringify(subscription));
  }

  async remove(): Promise<void> {
    await rm(this.path, { force: true });
  }
}
