/**
 * The lint legs of n8n's community-package scanner (@n8n/scan-community-package, which n8n runs
 * before it verifies a community package), run offline with the scanner's own code and ESLint
 * configuration: the source leg on packages/n8n-node, the tarball leg on the packed tarball.
 * Its other legs need the public registry and GitHub (provenance, the attested source checkout)
 * and are not run here. A fixture with a known finding first proves the legs report findings.
 *
 *   node scripts/release-check/n8n-scan.mjs <n8n-nodes-eventsync-x.y.z.tgz>
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { run } from './run.mjs';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SCANNER_PROJECT = join(ROOT, 'scripts/n8n-scanner');
const SCANNER = '@n8n/scan-community-package';

/** Installs the pinned scanner (once) and loads its module. */
async function loadScanner() {
  const pinned = JSON.parse(await readFile(join(SCANNER_PROJECT, 'package.json'), 'utf8')).dependencies[SCANNER];
  const manifest = join(SCANNER_PROJECT, 'node_modules', SCANNER, 'package.json');
  const installed = existsSync(manifest) ? JSON.parse(await readFile(manifest, 'utf8')).version : undefined;
  if (installed !== pinned) {
    await run('npm', ['ci', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: SCANNER_PROJECT, timeoutMs: 300_000 });
  }
  const entry = join(SCANNER_PROJECT, 'node_modules', SCANNER, 'scanner/scanner.mjs');
  // The scanner makes a temporary directory when loaded; this removes it when the process exits.
  createRequire(entry)('tmp').setGracefulCleanup();
  return import(pathToFileURL(entry).href);
}

/** A leg's findings, or a failure when it linted nothing (a glob that matched no files passes silently). */
function findings(leg, result) {
  if (result.message === 'No files found to analyze') return [`${leg}: no files were linted`];
  return result.passed ? [] : [`${leg}: ${result.message}\n${result.details ?? ''}`];
}

/** Lints a package with a console call, which the scanner's configuration forbids. */
async function fixtureIsCaught(scanner) {
  const dir = await mkdtemp(join(tmpdir(), 'eventsync-n8n-fixture-'));
  try {
    await mkdir(join(dir, 'dist/nodes'), { recursive: true });
    const manifest = { name: 'n8n-nodes-fixture', version: '0.0.1', keywords: ['n8n-community-node-package'], n8n: { nodes: ['dist/nodes/Fixture.node.js'] } };
    await writeFile(join(dir, 'package.json'), JSON.stringify(manifest));
    await writeFile(join(dir, 'dist/nodes/Fixture.node.js'), "'use strict';\nconsole.log('fixture');\nmodule.exports = {};\n");
    const result = await scanner.analyzePackage(dir, ['**/*.js', 'package.json']);
    return !result.passed && String(result.details).includes('no-console');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * @param {string} sourceDir the n8n package's sources (packages/n8n-node)
 * @param {string} unpackedDir the packed tarball, unpacked
 * @returns {Promise<string[]>} the legs that ran
 */
export async function scanN8nPackage(sourceDir, unpackedDir) {
  const scanner = await loadScanner();
  if (!(await fixtureIsCaught(scanner))) throw new Error('the n8n scanner did not report a console call in a fixture: its lint legs are not working');
  const problems = [
    ...findings('source leg', await scanner.analyzePackage(sourceDir, scanner.SOURCE_FILE_PATTERNS)),
    ...findings('tarball leg', await scanner.analyzePackage(unpackedDir, ['**/*.js', 'package.json'])),
  ];
  if (problems.length > 0) throw new Error(`n8n's community-package scanner rejects the package:\n${problems.join('\n')}`);
  return ['source leg (package.json, nodes/, credentials/)', 'tarball leg (**/*.js, package.json)'];
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const tarball = process.argv[2];
  if (!tarball?.endsWith('.tgz')) {
    console.error('usage: node scripts/release-check/n8n-scan.mjs <packed n8n package .tgz>');
    process.exit(2);
  }
  const unpacked = await mkdtemp(join(tmpdir(), 'eventsync-n8n-tarball-'));
  try {
    await run('tar', ['-xzf', resolve(tarball), '-C', unpacked, '--strip-components=1']);
    const legs = await scanN8nPackage(join(ROOT, 'packages/n8n-node'), unpacked);
    console.log(`n8n scanner: no findings (${legs.join('; ')})`);
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  } finally {
    await rm(unpacked, { recursive: true, force: true });
  }
}
