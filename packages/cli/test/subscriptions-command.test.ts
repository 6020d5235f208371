/** `eventsync subscriptions` as commander subcommands: each action its own help and flags; no API is needed to be refused. */
import { describe, expect, it } from 'vitest';
import { main, type CliIO } from '../src/program.js';

async function run(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io = {
    env: {},
    stdin: process.stdin,
    stdout: { write: (text: string) => ((stdout += text), true) },
    stderr: { write: (text: string) => ((stderr += text), true) },
    stopRequested: () => new Promise<void>(() => {}),
  } as unknown as CliIO;
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

describe('eventsync subscriptions', () => {
  it('lists every action in its help', async () => {
    const { code, stdout } = await run('subscriptions', '--help');
    expect(code).toBe(0);
    for (const action of ['list', 'create [options] <url>', 'delete [options] <id>', 'enable', 'disable', 'test', 'failures']) {
      expect(stdout).toContain(`  ${action}`);
    }
  });

  it("shows only an action's own flags, with the connection flags, in its help", async () => {
    const create = await run('subscriptions', 'create', '--help');
    expect(create.stdout).toContain('--managed-by <tool>');
    expect(create.stdout).toContain('--base-url <url>');
    expect(create.stdout).not.toContain('--limit');
    const failures = await run('subscriptions', 'failures', '--help');
    expect(failures.stdout).toContain('--limit <n>');
    expect(failures.stdout).not.toContain('--managed-by');
  });

  it('refuses an unknown action by naming the actions there are', async () => {
    const { code, stderr } = await run('subscriptions', 'frobnicate');
    expect(code).toBe(2);
    expect(stderr).toContain('unknown action "frobnicate"; use list, create, delete, enable, disable, test, failures or rotate');
  });

  it('refuses a missing id, an extra argument and a flag the action does not take, before any request', async () => {
    expect(await run('subscriptions', 'delete')).toMatchObject({ code: 2, stderr: expect.stringContaining("missing required argument 'id'") });
    expect(await run('subscriptions', 'enable', 'whsub_1', 'whsub_2')).toMatchObject({ code: 2, stderr: expect.stringContaining('too many arguments') });
    expect(await run('subscriptions', 'list', '--limit', '5')).toMatchObject({ code: 2, stderr: expect.stringContaining("unknown option '--limit'") });
  });

  it('says what to configure when no API is set', async () => {
    const { code, stderr } = await run('subscriptions', 'list');
    expect(code).toBe(2);
    expect(stderr).toContain('no API configured');
  });
});
