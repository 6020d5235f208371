/**
 * Replaces a file's contents atomically: write a temp file beside it (mode 0600), fsync it,
 * rename it over the old one, fsync the directory. A kill -9 or a power cut leaves the old
 * contents or the new, never half of each; a failure (a full disk) leaves the old contents
 * and no temp file.
 */
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export async function replaceFileAtomically(path: string, text: string): Promise<void> {
  const directory = dirname(path);
  const temp = join(directory, `.${basename(path)}.${process.pid}.tmp`);
  try {
    const file = await openCreatingDirectory(temp);
    try {
      await file.writeFile(text);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true }).catch(() => undefined);
    throw error;
  }
  await syncDirectory(directory);
}

/**
 * Opens the temp file, creating its directory only when it is missing: the checkpoint is
 * saved often, and a mkdir on every save was a measurable share of `eventsync run`'s CPU.
 */
async function openCreatingDirectory(temp: string): ReturnType<typeof open> {
  try {
    return await open(temp, 'w', 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    await mkdir(dirname(temp), { recursive: true });
    return open(temp, 'w', 0o600);
  }
}

/** Makes a rename durable: the directory entry itself must reach the disk. */
async function syncDirectory(path: string): Promise<void> {
  const directory = await open(path, 'r');
  try {
    await directory.sync();
  } catch {
    // Some file systems refuse fsync on a directory; the rename is still atomic there.
  } finally {
    await directory.close();
  }
}
