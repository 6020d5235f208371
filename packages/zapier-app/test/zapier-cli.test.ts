/**
 * Zapier's own tools on this package, as `npm test` / `npm run zip` in it run them:
 * `zapier-platform validate --without-style` (schema validation, offline) and
 * `zapier-platform build --skip-validation --skip-dep-install` (the upload zip; the CLI runs
 * `_zapier-build` first, then tests the zip by loading its entry point). Both need Node 22+.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, rmSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const cli = fileURLToPath(new URL('../node_modules/zapier-platform-cli/src/bin/run', import.meta.url));
const env = { ...process.env, DISABLE_ZAPIER_ANALYTICS: '1', NO_COLOR: '1', FORCE_COLOR: '0' };

function zapier(...args: string[]): string {
  return execFileSync(process.execPath, [cli, ...args], { cwd: packageDir, env, encoding: 'utf8', timeout: 90_000, stdio: 'pipe' });
}

describe('zapier-platform CLI', () => {
  it('validate --without-style finds no structural errors in the built app', () => {
    execFileSync(process.execPath, ['build.mjs'], { cwd: packageDir, stdio: 'pipe' });
    expect(zapier('validate', '--without-style')).toContain('No structural errors found');
  }, 60_000);

  it('build --skip-validation produces build.zip, whose entry point loads', () => {
    const zip = `${packageDir}build/build.zip`;
    rmSync(zip, { force: true });
    const output = zapier('build', '--skip-validation', '--skip-dep-install');
    expect(output).toContain('Build complete');
    expect(existsSync(zip)).toBe(true);
    expect(statSync(zip).size).toBeGreaterThan(100_000);
  }, 90_000);
});
