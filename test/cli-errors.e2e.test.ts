/**
 * What a user sees when something is wrong: one clear line, the right exit code, the key
 * only as its last four characters, and no stack trace.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '@eventsync/sandbox';
import { runCli, tempDir, type CliResult } from './support/cli.js';

let sandbox: Sandbox;
const READ_ONLY_KEY = 'wlcro_test_noscopes_0000000000R3AD';
const WRONG_KEY = 'wlcro_test_doesnotexist_999999QZ7K';

beforeAll(async () => {
  sandbox = await startSandbox({ seed: 5, keys: [{ key: READ_ONLY_KEY, name: 'records only', scopes: ['records:write'] }] });
});
afterAll(() => sandbox.stop());

async function sync(env: Record<string, string>, ...extra: string[]): Promise<CliResult> {
  const dir = await tempDir('errors');
  return runCli(['sync', '--once', '--data-dir', dir, '--no-status', ...extra], env);
}

function expectNoStack(result: CliResult): void {
  expect(result.stderr).not.toMatch(/\n\s+at /);
}

describe('eventsync error messages', () => {
  it('401: says to check the key, shown by its last four characters, and exits 3', async () => {
    const result = await sync({ EVENTSYNC_BASE_URL: sandbox.url, EVENTSYNC_API_KEY: WRONG_KEY });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('Check the API key ending …QZ7K');
    expect(result.stderr).not.toContain(WRONG_KEY);
    expectNoStack(result);
  });

  it('403: names the missing scope and exits 4', async () => {
    const result = await sync({ EVENTSYNC_BASE_URL: sandbox.url, EVENTSYNC_API_KEY: READ_ONLY_KEY });
    expect(result.code).toBe(4);
    expect(result.stderr).toContain('"events:read"');
    expect(result.stderr).toContain('create a new key');
    expect(result.stderr).not.toContain(READ_ONLY_KEY);
    expectNoStack(result);
  });

  it('an unreachable host says so and exits 5', async () => {
    const result = await sync({ EVENTSYNC_BASE_URL: 'http://127.0.0.1:9', EVENTSYNC_API_KEY: WRONG_KEY });
    expect(result.code).toBe(5);
    expect(result.stderr).toContain('Cannot reach http://127.0.0.1:9: connection refused');
    expectNoStack(result);
  });

  it('a base URL that is not a URL is a usage error (exit 2)', async () => {
    const result = await sync({ EVENTSYNC_BASE_URL: 'api.example.com', EVENTSYNC_API_KEY: WRONG_KEY });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('is not a URL');
    expectNoStack(result);
  });

  it('a key without a URL names the missing variable', async () => {
    const result = await sync({ EVENTSYNC_API_KEY: WRONG_KEY });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('EVENTSYNC_BASE_URL');
  });

  it('an unknown event type lists the valid ones', async () => {
    const result = await sync({ EVENTSYNC_BASE_URL: sandbox.url, EVENTSYNC_API_KEY: sandbox.apiKey }, '--types', 'Customer.Created');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('"Customer.Created"');
    expect(result.stderr).toContain('customer.created');
  });

  it.each([
    { coordinator: 'postgres://127.0.0.1:9/eventsync', ttl: '300ms', says: ['--lease-ttl must be at least 1s', 'got "300ms"'] },
    { coordinator: 'postgres://127.0.0.1:9/eventsync', ttl: '2h', says: ['--lease-ttl must be at most 1h', 'got "2h"'] },
    { coordinator: '', ttl: '5s', says: ['--coordinator takes the postgres://', 'got an empty one (an unset variable?)'] },
    { coordinator: 'mysql://app:s3cret-pw@db.internal/app', ttl: '5s', says: ['--coordinator takes the postgres://', 'got a "mysql:" URL'] },
    { coordinator: 'host=db.internal password=s3cret-pw', ttl: '5s', says: ['got something that is not a URL'] },
  ])('run --coordinator "$coordinator" --lease-ttl $ttl is refused before anything starts', async ({ coordinator, ttl, says }) => {
    const dir = await tempDir('errors');
    const result = await runCli(['run', '--config', `${dir}/never-read.yaml`, '--coordinator', coordinator, '--lease-ttl', ttl]);
    expect(result.code).toBe(2);
    for (const words of says) expect(result.stderr).toContain(words);
    expect(result.stderr).not.toContain('s3cret-pw');
    expectNoStack(result);
  });

  it('status --coordinator with an empty URL (an unset variable) is refused, not read as "no coordinator"', async () => {
    const dir = await tempDir('errors');
    const result = await runCli(['status', '--config', `${dir}/never-read.yaml`, '--coordinator', '']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('got an empty one (an unset variable?)');
    expectNoStack(result);
  });
});
