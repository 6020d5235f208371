/**
 * The better-sqlite3 binding as `npm install` builds it (scripts/build-sqlite-binding.mjs)
 * must survive garbage collection of its statements on the project's Node. Built against
 * Node 24.19+'s own headers, a collection that finalizes a Statement outside any JavaScript
 * context aborts the process; such collections come from V8's own tasks while the event loop
 * idles, so a child churns statements with idle pauses, and must live to say so. Against
 * such a build, it aborted in 4 of 5 runs of 6 s each; the test runs one of 10 s.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

const CHURN = `
const Database = require('better-sqlite3');
const until = Date.now() + 10_000;
(async () => {
  let databases = 0;
  while (Date.now() < until) {
    const db = new Database(':memory:');
    for (let i = 0; i < 50; i++) db.prepare('SELECT ?').get(i);
    db.close();
    if (++databases % 300 === 0) await new Promise((resolve) => setTimeout(resolve, 30));
  }
  console.log('survived ' + databases + ' databases');
})();
`;

describe('the better-sqlite3 binding', () => {
  it('survives garbage collections that finalize its statements while the event loop idles', () => {
    const child = spawnSync(process.execPath, ['-e', CHURN], { cwd: ROOT, encoding: 'utf8', timeout: 40_000 });
    expect(child.stderr).not.toContain('Assertion failed');
    expect({ status: child.status, signal: child.signal }).toEqual({ status: 0, signal: null });
    expect(child.stdout).toMatch(/^survived \d+ databases/);
  }, 45_000);
});
