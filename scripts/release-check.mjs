/**
 * `npm run release:check`: the published packages as a stranger gets them. Builds from clean,
 * packs every package as `npm publish` would, checks what each tarball holds, installs them into
 * empty projects, and on the lowest Node of each `engines` range and the newest release: imports and requires
 * the library, runs the core README's example, type-checks a TypeScript consumer, runs the CLI's
 * --help and a `sync --once` against its embedded sandbox; runs the lint legs of n8n's
 * community-package scanner on the n8n tarball; and builds the Zapier zips, which must hold the
 * LICENSE too. Any problem fails it (exit 1), saying what.
 * The pieces are in scripts/release-check/.
 */
import { readFile, rm, mkdtemp } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createProject } from './release-check/consumer.mjs';
import { scanN8nPackage } from './release-check/n8n-scan.mjs';
import { installNode, versionsToCheck } from './release-check/node-versions.mjs';
import { N8N_PACKAGE, packAll, WORKSPACES } from './release-check/pack.mjs';
import { run } from './release-check/run.mjs';
import { describeFiles, tarballProblems } from './release-check/tarball-rules.mjs';
import { checkTypes } from './release-check/types.mjs';
import { checkZapierZips } from './release-check/zapier-zips.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const started = performance.now();
const say = (line) => console.log(`release:check: [${((performance.now() - started) / 1000).toFixed(0).padStart(3)} s] ${line}`);
const work = await mkdtemp(join(tmpdir(), 'eventsync-release-'));

try {
  await buildFromClean();
  const packed = await packAll(root, join(work, 'tarballs'));
  await checkTarballs(packed);
  const [core, sandbox, cli, n8n] = packed;

  const engines = sameEngines(packed.slice(0, WORKSPACES.length));
  const versions = versionsToCheck(engines);
  const nodes = [];
  for (const version of versions) nodes.push({ version, bin: await installNode(root, version) });
  say(`Node ${versions.join(', ')} (the lowest of engines "${engines}", and the newest release)`);

  // The library without the CLI, so that ioredis (an optional peer the CLI brings) is absent.
  const library = await createProject(join(work, 'library'), [core, sandbox]);
  const withCli = await createProject(join(work, 'cli'), [core, sandbox, cli]);
  say('tarballs installed into two empty projects (core + sandbox; cli + core + sandbox)');

  // Side by side: the runs on each Node mostly wait (for events to settle), the rest computes.
  const outcomes = await Promise.allSettled([
    checkTypes(root, library).then((cases) => `TypeScript consumers type-check: ${cases.join(', ')}`),
    scanN8nPackage(join(root, N8N_PACKAGE), n8n.unpacked).then((legs) => `n8n scanner, no findings: ${legs.join('; ')}`),
    checkZapierZips(root).then((zips) => `Zapier zips hold the LICENSE: ${zips.join(', ')}`),
    ...nodes.map((node) => onNode(node, library, withCli, cli.manifest.version)),
  ]);
  for (const outcome of outcomes) if (outcome.status === 'fulfilled') say(outcome.value);
  const failed = outcomes.filter((outcome) => outcome.status === 'rejected');
  if (failed.length > 0) throw new Error(failed.map((outcome) => outcome.reason?.message ?? outcome.reason).join('\n\n'));

  say(`passed in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  await rm(work, { recursive: true, force: true });
} catch (error) {
  console.error(`\nrelease:check FAILED: ${error instanceof Error ? error.message : error}`);
  console.error(`(files kept in ${work})`);
  process.exitCode = 1;
}

/** Stale files in dist/ (a source map from an older build) would ship: build the published packages afresh. */
async function buildFromClean() {
  for (const dir of WORKSPACES) {
    await rm(join(root, dir, 'dist'), { recursive: true, force: true });
    await rm(join(root, dir, 'tsconfig.tsbuildinfo'), { force: true });
  }
  await run('npm', ['run', 'build', '--silent'], { cwd: root });
  if (!existsSync(join(root, N8N_PACKAGE, 'node_modules/esbuild'))) {
    throw new Error(`the n8n package's tooling is not installed: \`npm run test:n8n\` installs it (${N8N_PACKAGE}/node_modules)`);
  }
  await run('npm', ['run', 'build', '--silent'], { cwd: join(root, N8N_PACKAGE) });
  say('built from clean: core, sandbox, cli (tsc -b) and the n8n package (esbuild)');
}

async function checkTarballs(packed) {
  const license = await readFile(join(root, 'LICENSE'), 'utf8');
  const problems = [];
  for (const entry of packed) {
    const { name, version } = entry.manifest;
    say(`${name}@${version}: ${kB(entry.size)} packed, ${kB(entry.unpackedSize)} unpacked, ${entry.files.length} files`);
    for (const line of describeFiles(entry.files)) console.log(`    ${line}`);
    for (const problem of await tarballProblems(entry, license)) problems.push(`${name}: ${problem}`);
  }
  if (problems.length > 0) throw new Error(`tarballs:\n  ${problems.join('\n  ')}`);
}

/** The published packages support one Node range, the one written in their engines. */
function sameEngines(packages) {
  const ranges = new Set(packages.map(({ manifest }) => manifest.engines?.node));
  if (ranges.size !== 1) throw new Error(`the packages' engines.node differ: ${[...ranges].join(' / ')}`);
  return [...ranges][0];
}

/** Everything that runs on one Node version; the versions run side by side. */
async function onNode({ version, bin }, library, withCli, cliVersion) {
  const prefix = `Node ${version}`;
  const env = { ...process.env, PATH: `${dirname(bin)}${delimiter}${process.env.PATH}` };
  const failWith = (what) => (error) => {
    throw new Error(`${prefix}: ${what}: ${error.message}`);
  };
  const node = (script) => run(bin, [script], { cwd: library, env, timeoutMs: 90_000 }).catch(failWith(script));
  const eventsync = (args) => run(join(withCli, 'node_modules/.bin/eventsync'), args, { cwd: withCli, env, timeoutMs: 90_000 }).catch(failWith(`eventsync ${args.join(' ')}`));

  const [, , , help, versionOut, synced] = await Promise.all([
    node('import-check.mjs'),
    node('require-check.cjs'),
    node('readme-check.mjs'),
    eventsync(['--help']),
    eventsync(['--version']),
    syncOnce(eventsync, join(withCli, `sync-${version}`)).catch(failWith('sync --once')),
  ]);
  const actual = (await run(bin, ['--version'])).stdout.trim();
  if (actual !== `v${version}`) throw new Error(`${prefix}: the CLI ran on ${actual}`);
  for (const command of ['sync', 'events', 'subscriptions', 'verify', 'sandbox']) {
    if (!help.stdout.includes(command)) throw new Error(`${prefix}: eventsync --help does not mention ${command}:\n${help.stdout}`);
  }
  if (versionOut.stdout.trim() !== cliVersion) throw new Error(`${prefix}: eventsync --version says ${versionOut.stdout.trim()}, the package is ${cliVersion}`);
  return `${prefix}: import, require, README example, eventsync --help, --version ${cliVersion}, sync --once (${synced} events, each once): ok`;
}

/** `eventsync sync --once` with no API configured syncs from its embedded sandbox, then exits 0. */
async function syncOnce(eventsync, dataDir) {
  const { stderr } = await eventsync(['sync', '--once', '--data-dir', dataDir, '--no-status']);
  const lines = (await readFile(join(dataDir, 'sandbox/events.ndjson'), 'utf8')).trim().split('\n');
  const ids = lines.map((line) => JSON.parse(line).id);
  if (ids.length === 0 || new Set(ids).size !== ids.length) throw new Error(`${ids.length} events, ${new Set(ids).size} distinct:\n${stderr}`);
  return ids.length;
}

function kB(bytes) {
  return `${(bytes / 1000).toFixed(1)} kB`;
}
