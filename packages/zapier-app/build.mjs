// Bundles src/ and @eventsync/core (an ESM workspace package Zapier's build cannot install
// from a registry) into one ESM file, dist/index.js. zapier-platform-core stays external:
// Zapier's build packs it from node_modules, and the runtime's wrapper imports it too.
import { build } from 'esbuild';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const here = (path) => fileURLToPath(new URL(path, import.meta.url));
// In the repository the core sits beside this package. Unpacked from source.zip it sits in
// vendor/ (see with-core-source.mjs), and ../core does not exist.
const vendored = here('./vendor/eventsync-core/src/index.ts');
const core = existsSync(vendored) ? vendored : here('../core/src/index.ts');

await build({
  entryPoints: [here('./src/index.ts')],
  outfile: here('./dist/index.js'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node22',
  external: ['zapier-platform-core'],
  alias: { '@eventsync/core': core },
  sourcemap: false,
  legalComments: 'none',
  logLevel: 'warning',
});
