/** Small file systems that fill up, for tests of a full disk. Mounting needs root, as CI has. */
import { execFileSync } from 'node:child_process';
import { afterEach } from 'vitest';
import { tempDir } from './cli.js';

const mounted: string[] = [];
afterEach(() => {
  for (const dir of mounted.splice(0)) execFileSync('umount', [dir]);
});

/** A tmpfs of `size` (`256k`, `1500000`) on a new temp folder, unmounted after the test. */
export async function smallDisk(size: string, prefix = 'small-disk'): Promise<string> {
  const dir = await tempDir(prefix);
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir]);
  mounted.push(dir);
  return dir;
}

/** Makes room, as an operator freeing space would. */
export function growDisk(dir: string, size: string): void {
  execFileSync('mount', ['-o', `remount,size=${size}`, dir]);
}
