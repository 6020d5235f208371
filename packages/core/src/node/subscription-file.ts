/**
 * The sync's own subscription (id and signing secret) in the state directory, mode 0600:
 * the secret is shown once by the API, and this file is the only place it lives. A crash
 * leaves it behind, so the next start reuses the subscription instead of orphaning it.
 */
import { chmod, mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';

export interface SavedSubscription {
  readonly id: string;
  readonly secret: string;
  readonly url: string;
  /** A previous secret still accepted during a rotation. */
  readonly previousSecret?: string;
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

  async save(subscription: SavedSubscription): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    const temp = `${this.path}.tmp`;
    const file = await open(temp, 'w', 0o600);
    try {
      await file.writeFile(JSON.stringify(subscription));
      await file.sync();
    } finally {
      await file.close();
    }
    await chmod(temp, 0o600);
    await rename(temp, this.path);
  }

  async remove(): Promise<void> {
    await rm(this.path, { force: true });
  }
}
