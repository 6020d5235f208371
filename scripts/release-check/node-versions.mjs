/**
 * The Node versions the published packages are checked on: the lowest version of each range in
 * their `engines` (read from the packages, the one place it is written) and the newest release.
 * Each is installed once, from the npm registry's `node` package, into node_modules/.cache.
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { run } from './run.mjs';

/** The newest Node release when this was last checked; raise it when a newer one ships. */
export const NEWEST_NODE = '26.10.0';

/** Lower bounds of an engines range such as `^20.19.0 || >=22.12.0`, plus NEWEST_NODE. */
export function versionsToCheck(engines) {
  const lows = engines.split('||').map((range) => {
    const found = range.trim().match(/^(?:\^|>=)\s*(\d+\.\d+\.\d+)$/);
    if (!found) throw new Error(`engines.node "${engines}": cannot read the lowest version of "${range.trim()}" (expected ^x.y.z or >=x.y.z)`);
    return found[1];
  });
  return [...new Set([...lows, NEWEST_NODE])];
}

/** Installs `version` (once) and returns the path of its node binary. */
export async function installNode(root, version) {
  const dir = join(root, 'node_modules/.cache/eventsync-release-check', `node-${version}`);
  const bin = join(dir, 'node_modules/.bin/node');
  if (!existsSync(bin)) {
    await mkdir(dir, { recursive: true });
    // The `node` package fetches the platform's binary (node-<os>-<arch>) in its install script.
    const manifest = { private: true, dependencies: { node: version }, allowScripts: { node: true } };
    await writeFile(join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    await run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: dir, timeoutMs: 300_000 });
  }
  const { stdout } = await run(bin, ['--version']);
  if (stdout.trim() !== `v${version}`) throw new Error(`${bin} says ${stdout.trim()}, not v${version}`);
  return bin;
}
