/**
 * The pure layer is what the n8n and Zapier packages bundle; n8n's community-package
 * scanner rejects timers, `process`, `globalThis` and any import but a few. This keeps
 * `src/` (outside `src/node/`) that way: it fails on the first such use that creeps in.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SOURCE = fileURLToPath(new URL('../src', import.meta.url));
const files = readdirSync(SOURCE).filter((name) => name.endsWith('.ts'));

/** Source without comments, so prose such as "no timers, no process" does not count. */
function code(name: string): string {
  return readFileSync(join(SOURCE, name), 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/(^|\s)\/\/.*$/gm, '$1');
}

describe('the pure core layer', () => {
  it('has source files to check', () => {
    expect(files.length).toBeGreaterThan(10);
  });

  it.each(files)('%s imports only relative files and node:crypto', (name) => {
    const imports = [...code(name).matchAll(/\bfrom\s+['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]/g)].map((match) => match[1] ?? match[2]);
    expect(imports.filter((source) => !source!.startsWith('./') && source !== 'node:crypto')).toEqual([]);
  });

  it.each(files)('%s uses no timers, process, globalThis, __dirname or require', (name) => {
    const banned = code(name).match(/\b(setTimeout|setInterval|setImmediate|process\.|globalThis|__dirname|__filename|require\()/g);
    expect(banned ?? []).toEqual([]);
  });
});
