/**
 * One of several processes taking the same lock at once (writer-lock.test.ts). Node runs this
 * file as it is (type stripping). It prints "waiting", tries the lock when a line arrives on
 * stdin, prints "took" or "refused", and holds what it took until stdin ends.
 *
 *   node racer.ts <lock path>
 */
import { createInterface } from 'node:readline';
import { acquireLock } from '../../dist/node/index.js';

const [path] = process.argv.slice(2) as [string];
const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
console.log('waiting');
await lines.next();
const lock = await acquireLock(path, 'the test output').then(
  (taken) => (console.log('took'), taken),
  (error: Error & { systemCode?: string }) => void console.log(`refused ${error.systemCode ?? error.message}`),
);
await lines.next();
await lock?.release();
