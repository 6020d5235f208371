/**
 * `eventsync sandbox --tenants N --write-config <file>` as a user runs it: a short summary
 * that shows one key, and a config file (mode 0600) that a YAML parser reads as N connections
 * whose keys each reach their own tenant on the one port.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { runCli, startCli, tempDir } from './support/cli.js';

interface ConfigFile {
  version: number;
  defaults: { sink: string };
  connections: Array<{ name: string; baseUrl: string; preset: string; apiKey: string }>;
}

/** Starts the sandbox command and waits for its summary. */
async function startSandboxCommand(args: string[], cwd: string) {
  const child = startCli(['sandbox', '--port', '0', '--rate', '0', ...args], {}, cwd);
  let stdout = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  for (const deadline = Date.now() + 15_000; !stdout.includes('Ctrl-C stops it.') && Date.now() < deadline; ) await sleep(20);
  expect(stdout).toContain('Ctrl-C stops it.');
  const stop = async () => {
    child.kill('SIGINT');
    return child.result;
  };
  return { stdout, stop };
}

async function me(baseUrl: string, apiKey: string): Promise<{ status: number; slug?: string }> {
  const answer = await fetch(`${baseUrl}/api/v1/me`, { headers: { 'x-api-key': apiKey } });
  const body = (await answer.json()) as { tenant?: { slug: string } };
  return { status: answer.status, ...(body.tenant ? { slug: body.tenant.slug } : {}) };
}

describe('eventsync sandbox --tenants', () => {
  it('prints one key, writes every tenant to a 0600 config file that loads as YAML, and each key reaches its tenant', async () => {
    const dir = await tempDir('tenants-config');
    const file = join(dir, 'eventsync.config.yaml');
    const sink = 'postgres://sync@127.0.0.1/events?schema={connection}';
    const { stdout, stop } = await startSandboxCommand(
      ['--tenants', '25', '--backlog', '5', '--tenant-backlog', 'tenant-0003=40', '--write-config', file, '--sink', sink],
      dir,
    );
    try {
      expect((await stat(file)).mode & 0o777).toBe(0o600);
      const config = parse(await readFile(file, 'utf8')) as ConfigFile;
      expect(config.version).toBe(1);
      expect(config.defaults).toEqual({ sink });
      expect(config.connections.map((connection) => connection.name)).toEqual(Array.from({ length: 25 }, (_, i) => `tenant-${String(i + 1).padStart(4, '0')}`));
      const baseUrl = config.connections[0]!.baseUrl;
      expect(baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(new Set(config.connections.map((connection) => connection.baseUrl))).toEqual(new Set([baseUrl]));
      expect(new Set(config.connections.map((connection) => connection.preset))).toEqual(new Set(['integration']));
      expect(new Set(config.connections.map((connection) => connection.apiKey)).size).toBe(25);

      for (const index of [0, 12, 24]) {
        const connection = config.connections[index]!;
        expect(await me(connection.baseUrl, connection.apiKey)).toEqual({ status: 200, slug: connection.name });
      }
      const third = config.connections[2]!;
      const page = await fetch(`${baseUrl}/api/v1/events?limit=100`, { headers: { 'x-api-key': third.apiKey } });
      expect(((await page.json()) as { data: unknown[] }).data).toHaveLength(40);

      // The summary: a few lines, the first key, where the other 24 are; no other key.
      expect(stdout).toContain(`listening on ${baseUrl}: 25 tenants`);
      expect(stdout).toContain(`first key: ${config.connections[0]!.apiKey}   (tenant-0001)`);
      expect(stdout).toContain(`the other 24 keys: in ${file} (mode 0600)`);
      for (const connection of config.connections.slice(1)) expect(stdout).not.toContain(connection.apiKey);
      expect(stdout.trim().split('\n').length).toBeLessThan(12);
    } finally {
      expect((await stop()).code).toBe(0);
    }
  });

  it('writes the agreed format, the default sink included, and without --write-config says where the keys are', async () => {
    const dir = await tempDir('tenants-format');
    const file = join(dir, 'eventsync.config.yaml');
    const written = await startSandboxCommand(['--tenants', '2', '--backlog', '0', '--write-config', file], dir);
    const text = await readFile(file, 'utf8');
    await written.stop();
    const { connections } = parse(text) as ConfigFile;
    const [first, second] = connections as [ConfigFile['connections'][0], ConfigFile['connections'][0]];
    expect(text).toBe(
      [
        '# written by `eventsync sandbox --tenants 2`; keys are the sandbox\'s test keys',
        '',
        'version: 1',
        'defaults:',
        '  sink: file:./events/{connection}.ndjson',
        'connections:',
        '  - name: tenant-0001',
        `    baseUrl: ${first.baseUrl}`,
        '    preset: integration',
        `    apiKey: "${first.apiKey}"`,
        '  - name: tenant-0002',
        `    baseUrl: ${first.baseUrl}`,
        '    preset: integration',
        `    apiKey: "${second.apiKey}"`,
        '',
      ].join('\n'),
    );

    const unwritten = await startSandboxCommand(['--tenants', '3', '--backlog', '0'], dir);
    await unwritten.stop();
    expect(unwritten.stdout).toMatch(/the other 2 keys: GET http:\/\/127\.0\.0\.1:\d+\/_sandbox\/tenants lists them/);
  });

  it('refuses flags that cannot work together, naming the flag, exit 2', async () => {
    const sinkAlone = await runCli(['sandbox', '--port', '0', '--tenants', '2', '--sink', 'file:./x.ndjson']);
    expect(sinkAlone.code).toBe(2);
    expect(sinkAlone.stderr).toContain('--sink sets the default sink of the config file: add --write-config <file>');
    const backlogAlone = await runCli(['sandbox', '--port', '0', '--tenant-backlog', 'tenant-0001=5']);
    expect(backlogAlone.code).toBe(2);
    expect(backlogAlone.stderr).toContain('add --tenants');
    const unknownTenant = await runCli(['sandbox', '--port', '0', '--tenants', '3', '--tenant-backlog', 'tenant-0009=5']);
    expect(unknownTenant.code).toBe(2);
    expect(unknownTenant.stderr).toContain('--tenant-backlog: backlogs: "tenant-0009" is not a tenant of this sandbox; its tenants are tenant-0001 to tenant-0003');
    const zero = await runCli(['sandbox', '--port', '0', '--tenants', '0']);
    expect(zero.code).toBe(2);
  });
});
