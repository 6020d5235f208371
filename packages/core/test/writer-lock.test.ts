/**
 * The lock that keeps a second sync off an output (writer-lock.ts), taken by several processes
 * at the same moment: exactly one gets it, whether the lock file is new or a dead writer's.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const RACER = fileURLToPath(new URL('./writer-lock/racer.ts', import.meta.url));
const RACERS = 6;
/** A pid above Linux's largest, so no process has it: the lock of a writer that died. */
const DEAD_PID = 2 ** 22 + 12_345;

let dir: string | undefined;
const racers: ChildProcess[] = [];
afterEach(async () => {
  for (const racer of racers.splice(0)) racer.kill('SIGKILL');
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Starts the racers, lets them all try at once, and returns what each got. */
async function race(lockPath: string): Promise<string[]> {
  const outputs = Array.from({ length: RACERS }, () => {
    const racer = spawn(process.execPath, [RACER, lockPath], { stdio: ['pipe', 'pipe', 'inherit'] });
    racers.push(racer);
    return { racer, lines: createInterface({ input: racer.stdout! })[Symbol.asyncIterator]() };
  });
  for (const { lines } of outputs) expect((await lines.next()).value).toBe('waiting');
  for (const { racer } of outputs) racer.stdin!.write('go\n');
  const outcomes = await Promise.all(outputs.map(async ({ lines }) => String((await lines.next()).value)));
  for (const { racer } of outputs) racer.stdin!.end();
  return outcomes;
}

describe('the writer lock, taken by several processes at once', () => {
  it('goes to exactly one of them when no one held it', async () => {
    dir = await mkdtemp(join(tmpdir(), 'eventsync-lock-'));
    for (let round = 0; round < 5; round++) {
      const outcomes = await race(join(dir, `round-${round}.lock`));
      expect(outcomes.filter((outcome) => outcome === 'took'), `round ${round}: ${outcomes.join(', ')}`).toHaveLength(1);
      expect(outcomes.filter((outcome) => outcome === 'refused locked')).toHaveLength(RACERS - 1);
    }
  });

  it('goes to exactly one of them when a writer that died left it behind', async () => {
    dir = await mkdtemp(join(tmpdir(), 'eventsync-lock-'));
    for (let round = 0; round < 5; round++) {
      const lockPath = join(dir, `round-${round}.lock`);
      await writeFile(lockPath, JSON.stringify({ pid: DEAD_PID, host: hostname() }));
      const outcomes = await race(lockPath);
      expect(outcomes.filter((outcome) => outcome === 'took'), `round ${round}: ${outcomes.join(', ')}`).toHaveLength(1);
    }
  });
});
