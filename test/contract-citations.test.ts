/**
 * Comments cite docs/api-contract.md by heading ("docs/api-contract.md, Rate limits"); a
 * renamed heading must not leave them pointing at nothing.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CITATION = 'api-contract.md, ';

describe('citations of docs/api-contract.md', () => {
  it('each name a heading the page has', () => {
    const headings = readFileSync(`${ROOT}docs/api-contract.md`, 'utf8')
      .split('\n')
      .filter((line) => /^#{2,3} /.test(line))
      .map((line) => line.replace(/^#+ /, ''));
    // The page itself and this test mention the form without citing anything.
    const lines = execFileSync('git', ['grep', '-h', '-F', CITATION, '--', '.', ':!docs/api-contract.md', ':!test/contract-citations.test.ts'], { cwd: ROOT, encoding: 'utf8' }).split('\n').filter(Boolean);
    const cited = lines.flatMap((line) => line.split(CITATION).slice(1));
    expect(cited.length).toBeGreaterThan(10);
    const dangling = cited.filter((text) => !headings.some((heading) => text.startsWith(heading)));
    expect(dangling).toEqual([]);
  });
});
