/** The key file as a secret manager rewrites it. */
import { mkdtemp, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { KeyFileWatch, readKeyFile } from '../src/ops/key-file.js';
import { UsageError } from '../src/usage-error.js';

async function keyFile(text: string): Promise<string> {
  const path = join(await mkdtemp(join(tmpdir(), 'eventsync-key-file-')), 'key');
  await writeFile(path, text);
  return path;
}

describe('the API key file', () => {
  it('holds the key without its trailing newline, and refuses one that cannot be a key without showing it', async () => {
    expect(readKeyFile(await keyFile('wlcro_test_abc123\n'))).toBe('wlcro_test_abc123');
    const broken = await keyFile('wlcro_live_ab c123');
    expect(() => readKeyFile(broken)).toThrow(UsageError);
    expect(() => readKeyFile(broken)).toThrow(/white space/);
    expect(() => readKeyFile(join(tmpdir(), 'no-such-eventsync-key'))).toThrow(/does not exist/);
  });

  it('notices a new file renamed over it, and keeps the key when the file is briefly empty', async () => {
    const path = await keyFile('wlcro_test_first0000\n');
    const keys: string[] = [];
    const problems: string[] = [];
    const watch = new KeyFileWatch(path, { current: 'wlcro_test_first0000', onKey: (key) => void keys.push(key), onProblem: (message) => void problems.push(message) });
    watch.start();
    // fs.watchFile takes its first reading of the file on the threadpool: a change before it would go unseen.
    await new Promise((resolve) => setTimeout(resolve, 700));
    const seen = { timeout: 5_000, interval: 50 };
    try {
      await writeFile(path, '');
      await vi.waitFor(() => expect(problems).toHaveLength(1), seen);
      expect(keys).toEqual([]);
      expect(problems[0]).toContain('keeping the key …0000');
      await writeFile(`${path}.new`, 'wlcro_test_second111\n');
      await rename(`${path}.new`, path);
      await vi.waitFor(() => expect(keys).toHaveLength(1), seen);
      expect(keys).toEqual(['wlcro_test_second111']);
      expect(watch.check()).toBe('wlcro_test_second111');
      expect(problems.join(' ')).not.toContain('second111');
    } finally {
      watch.stop();
    }
  });
});
