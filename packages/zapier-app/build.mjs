// Bundles src/ and @eventsync/core (an ESM workspace package Zapier's build cannot install
// from a registry) into one ESM file, dist/index.js. zapier-platform-core stays external:
// Zapier's build packs it from node_modules, and the runtime's wrapper imports it too.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const here = (path) => fileURLToPath(new URL(path, import.meta.url));

await build({
  entryPoints: [here('./src/index.ts')],
  outfile: here('./dist/index.js'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node22',
  external: ['zapier-platform-core'],
  alias: { '@eventsync/core': here('../core/src/index.ts') },
  sourcemap: false,
  legalComments: 'none',
  logLevel: 'warning',
});
