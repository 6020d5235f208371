/**
 * A process that uses the built SqliteStorage, for tests that need a second process: a holder
 * of a source, a commit loop to kill, or one of several processes opening a file at once.
 * Node runs this file as it is (type stripping); it reports on stdout, one line per step.
 *
 *   node child.ts open <path> <source>     open and close, print "open" or the error's message
 *   node child.ts hold <path> <source>     open, print "open", wait to be killed
 *   node child.ts loop <path> <source>     open, print "ready", commit the next batches forever
 *   node child.ts race <path> <source>     print "waiting", open when a line arrives on stdin,
 *                                          commit batch 0, close, print "done"
 *   node child.ts lock <path> holder       no Eventsync: hold a write transaction on the file in
 *                                          SQLite's default (rollback) journal mode, print
 *                                          "locked", commit when a line arrives on stdin
 */
import { createInterface } from 'node:readline';
import Database from 'better-sqlite3';
import { SqliteStorage } from '../../dist/node/index.js';
import { batch, batchesBelow, watermarkAfter } from './batches.ts';

const [mode, path, source] = process.argv.slice(2) as [string, string, string];
// `lock` makes no use of it (its source is a placeholder).
const storage = new SqliteStorage({ path, source });

if (mode === 'lock') {
  const db = new Database(path);
  db.exec('BEGIN IMMEDIATE; CREATE TABLE IF NOT EXISTS theirs (x)');
  console.log('locked');
  await new Promise((resolve) => createInterface({ input: process.stdin }).once('line', resolve));
  db.exec('COMMIT');
} else if (mode === 'open') {
  console.log(await storage.open().then(() => 'open', (error: Error) => error.message));
  await storage.close();
} else if (mode === 'hold') {
  await storage.open();
  console.log('open');
  setInterval(() => undefined, 60_000);
} else if (mode === 'loop') {
  let next = batchesBelow((await storage.open()).watermark);
  console.log('ready');
  for (;;) {
    await storage.commit(batch(next), watermarkAfter(next));
    next++;
    // Let timers run between commits, as a sync's event loop does.
    await new Promise((resolve) => setImmediate(resolve));
  }
} else if (mode === 'race') {
  console.log('waiting');
  await new Promise((resolve) => createInterface({ input: process.stdin }).once('line', resolve));
  await storage.open();
  await storage.commit(batch(0), watermarkAfter(0));
  await storage.close();
  console.log('done');
  process.exit(0);
} else {
  throw new Error(`unknown mode ${mode}`);
}
