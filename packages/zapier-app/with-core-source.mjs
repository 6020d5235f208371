// Runs a zapier-platform command (build, push) with a copy of the core's sources in
// vendor/eventsync-core/, then removes the copy. The CLI's source.zip holds only files inside
// this directory, while the build bundles ../core/src: with the copy, Zapier's reviewers can
// rebuild dist/index.js from source.zip alone (build.mjs prefers the copy when it is there).
// The copy must not be gitignored (the CLI leaves gitignored files out of source.zip).
import { spawnSync } from 'node:child_process';
import { cpSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = (path) => fileURLToPath(new URL(path, import.meta.url));
const vendored = here('./vendor/eventsync-core');

const coreSource = here('../core/src');
// The pure layer only: the build bundles nothing from src/node (axios, Redis, files).
const nodeRuntime = join(coreSource, 'node');

rmSync(vendored, { recursive: true, force: true });
cpSync(coreSource, `${vendored}/src`, { recursive: true, filter: (source) => source !== nodeRuntime && !source.startsWith(`${nodeRuntime}/`) });
let status = 1;
try {
  const cli = here('./node_modules/zapier-platform-cli/src/bin/run');
  const result = spawnSync(process.execPath, [cli, ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { DISABLE_ZAPIER_ANALYTICS: '1', ...process.env },
  });
  status = result.status ?? 1;
} finally {
  rmSync(here('./vendor'), { recursive: true, force: true });
}
process.exit(status);
