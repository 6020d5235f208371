/**
 * An empty npm project with some of the tarballs installed, as a stranger would install them:
 * their dependencies come from the registry, the @eventsync packages only from the tarballs.
 */
import { cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { run } from './run.mjs';

/** @param {Array<{ manifest: any, tarball: string }>} packages */
export async function createProject(dir, packages) {
  await mkdir(dir, { recursive: true });
  const dependencies = Object.fromEntries(packages.map(({ manifest, tarball }) => [manifest.name, `file:${tarball}`]));
  await writeFile(join(dir, 'package.json'), `${JSON.stringify({ name: 'release-check-consumer', private: true, dependencies }, null, 2)}\n`);
  await run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: dir, timeoutMs: 300_000 });
  // A dependency on @eventsync/core that npm took from a registry would test someone else's package.
  const lock = JSON.parse(await readFile(join(dir, 'package-lock.json'), 'utf8'));
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (path.includes('node_modules/@eventsync/') && !String(entry.resolved).startsWith('file:')) {
      throw new Error(`${path} in ${dir} was installed from ${entry.resolved}, not from a tarball`);
    }
  }
  await cp(new URL('./consumer/', import.meta.url), dir, { recursive: true });
  return dir;
}
