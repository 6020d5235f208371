import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  resolve: {
    // Tests run against the TypeScript sources; end-to-end tests spawn the built CLI.
    alias: [
      { find: /^@eventsync\/core\/node$/, replacement: here('./packages/core/src/node/index.ts') },
      { find: /^@eventsync\/core$/, replacement: here('./packages/core/src/index.ts') },
      { find: /^@eventsync\/sandbox$/, replacement: here('./packages/sandbox/src/index.ts') },
    ],
  },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
  },
});
