/**
 * Optional peer dependencies (package.json `peerDependenciesMeta`): packages only one feature
 * needs, so every user need not install them. The feature checks for its package where it is
 * configured, and says how to install it, rather than failing at its first request.
 */
import { createRequire } from 'node:module';
import { ConfigError } from '../errors.js';

/**
 * Throws a ConfigError naming `npm install <name>` when `name` cannot be found from here.
 * Resolves without loading: the feature then loads the package itself, with `import()`.
 */
export function assertPeerInstalled(name: string, feature: string, setting: string): void {
  try {
    createRequire(import.meta.url).resolve(name);
  } catch {
    throw new ConfigError(`${feature} needs the ${name} package, which is not installed: run \`npm install ${name}\``, setting);
  }
}
