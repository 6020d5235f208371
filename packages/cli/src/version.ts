/** The CLI's version: its package.json's, the one place it is written. */
import { createRequire } from 'node:module';

// From dist/ (and src/ under the tests) the package's own package.json is one level up.
export const VERSION = (createRequire(import.meta.url)('../package.json') as { version: string }).version;
