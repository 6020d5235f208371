/**
 * Zapier's own tools on this package, as `npm test` / `npm run zip` in it run them:
 * `zapier-platform validate --without-style` (schema validation, offline) and
 * `zapier-platform build --skip-validation --skip-dep-install` (the upload zip; the CLI runs
 * `_zapier-build` first, then tests the zip by loading its entry point), through
 * with-core-source.mjs so that source.zip carries the core it bundles. Both need Node 22+.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const cli = fileURLToPath(new URL('../node_modules/zapier-platform-cli/src/bin/run', import.meta.url));
const env = { ...process.env, DISABLE_ZAPIER_ANALYTICS: '1', NO_COLOR: '1', FORCE_COLOR: '0' };
// The CLI's own unzip, so the test needs no unzip binary.
const decompress = createRequire(cli)('../utils/decompress') as (zip: string, dir: string) => Promise<Array<{ path: string }>>;

function zapier(...args: string[]): string {
  return execFileSync(process.execPath, [cli, ...args], { cwd: packageDir, env, encoding: 'utf8', timeout: 90_000, stdio: 'pipe' });
}

/** The bundle without esbuild's `// path/to/file.ts` markers, which name where each module was found. */
const code = (file: string) => readFileSync(file, 'utf8').replace(/^\s*\/\/ .*$/gm, '');

describe('zapier-platform CLI', () => {
  it('validate --without-style finds no structural errors in the built app', () => {
    execFileSync(process.execPath, ['build.mjs'], { cwd: packageDir, stdio: 'pipe' });
    expect(zapier('validate', '--without-style')).toContain('No structural errors found');
  }, 60_000);

  it('npm run zip: build.zip whose entry point loads, and a source.zip that rebuilds the same bundle on its own', async () => {
    const zip = join(packageDir, 'build/build.zip');
    const sourceZip = join(packageDir, 'build/source.zip');
    rmSync(zip, { force: true });
    rmSync(sourceZip, { force: true });
    const output = execFileSync(process.execPath, ['with-core-source.mjs', 'build', '--skip-validation', '--skip-dep-install'], {
      cwd: packageDir,
      env,
      encoding: 'utf8',
      timeout: 90_000,
      stdio: 'pipe',
    });
    expect(output).toContain('Build complete');
    expect(statSync(zip).size).toBeGreaterThan(100_000);
    expect(existsSync(join(packageDir, 'vendor')), 'the copy of the core is removed again').toBe(false);

    const unpacked = mkdtempSync(join(tmpdir(), 'zapier-source-'));
    try {
      const files = (await decompress(sourceZip, unpacked)).map((file) => file.path);
      expect(files).toEqual(expect.arrayContaining(['package.json', 'build.mjs', 'src/index.ts', 'vendor/eventsync-core/src/index.ts', 'vendor/eventsync-core/src/config.ts']));
      expect(files.filter((file) => file.includes('/src/node/')), 'the core\'s Node runtime is not part of the app').toEqual([]);
      // A reviewer's rebuild: the unpacked sources plus installed dependencies, no ../core.
      symlinkSync(join(packageDir, 'node_modules'), join(unpacked, 'node_modules'), 'dir');
      execFileSync(process.execPath, ['build.mjs'], { cwd: unpacked, stdio: 'pipe' });
      expect(code(join(unpacked, 'dist/index.js'))).toBe(code(join(packageDir, 'dist/index.js')));
    } finally {
      rmSync(unpacked, { recursive: true, force: true });
    }
  }, 120_000);
});
