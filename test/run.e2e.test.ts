/**
 * `eventsync run --config`: every connection of a config file in one real process, against
 * real sandboxes (one API account each). Each connection's file must equal its account's
 * feed; deliveries reach the right connection by path; a revoked key stays in its
 * connection while the others go on; every kind of config mistake is named by its path.
 */
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '@eventsync/sandbox';
import { duplicates, idsInFile, runCli, startCli, tempDir } from './support/cli.js';
import { getJson, Scrape } from './support/ops.js';

const sandboxes: Sandbox[] = [];
afterEach(async () => {
  await Promise.all(sandboxes.splice(0).map((box) => box.stop()));
});

/** Lag 2 s with a 3 s look-back: the API's 10 s and the default 15 s, in less time. */
const LAG_MS = 2_000;

async function account(seed: number): Promise<Sandbox> {
  const box = await startSandbox({ seed, visibilityLagMs: LAG_MS, policies: false, backlog: { count: 400, spanMs: 10 * 60_000 } });
  sandboxes.push(box);
  box.startGenerator({ ratePerSecond: 40 });
  return box;
}

async function until(what: string, condition: () => boolean | Promise<boolean>, withinMs: number): Promise<void> {
  for (const deadline = Date.now() + withinMs; Date.now() < deadline; await sleep(100)) {
    if (await condition()) return;
  }
  throw new Error(`timed out after ${withinMs} ms waiting for ${what}`);
}

describe('eventsync run --config', () => {
  it('syncs every connection in one process, webhooks routed to each, and keeps going when one key is revoked', async () => {
    const [alpha, beta, gamma] = [await account(1), await account(2), await account(3)];
    const dir = await tempDir('run');
    await mkdir(join(dir, 'keys'));
    await writeFile(join(dir, 'keys', 'beta'), `${beta.apiKey}\n`, { mode: 0o600 });
    const configPath = join(dir, 'eventsync.config.yaml');
    await writeFile(
      configPath,
      [
        'defaults:',
        '  sink: file:./events/{connection}.ndjson',
        '  lookback: 3s',
        '  pollInterval: 500ms',
        'healthInterval: 1s',
        'listen:',
        '  port: 0',
        'metrics: { port: 0 }',
        'connections:',
        `  - { name: alpha, baseUrl: "${alpha.url}", apiKeyEnv: ALPHA_KEY }`,
        `  - { name: beta, baseUrl: "${beta.url}", apiKeyFile: ./keys/beta }`,
        `  - { name: gamma, baseUrl: "${gamma.url}", apiKey: "${gamma.apiKey}" }`,
        '',
      ].join('\n'),
    );
    // An inline key is accepted only in a file nobody else can read.
    await chmod(configPath, 0o600);
    const run = startCli(['run', '--config', configPath, '--progress-every', '1s'], { ALPHA_KEY: alpha.apiKey });
    let stderr = '';
    run.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    try {
      await until('three connections syncing', () => /3 syncing/.test(stderr), 20_000);
      await sleep(1_500);
      beta.revokeKey(beta.apiKey);
      await until('beta reported failing', () => /beta: .*(401|refused|revoked|key)/i.test(stderr) && /1 failing \(beta: /.test(stderr), 20_000);
      for (const box of sandboxes) box.stopGenerator();
      const exact = async (box: Sandbox, name: string): Promise<boolean> => {
        const ids = await idsInFile(join(dir, 'events', `${name}.ndjson`));
        return ids.length === box.eventIds().length;
      };
      await until('alpha and gamma caught up', async () => (await exact(alpha, 'alpha')) && (await exact(gamma, 'gamma')), 20_000);

      // One endpoint for all connections: figures by connection, and ready while some connection is.
      const origin = /health, metrics and status page at (http:\/\/[^/\s]+)\//.exec(stderr)![1]!;
      const scrape = await Scrape.of(origin);
      for (const [box, name] of [[alpha, 'alpha'], [gamma, 'gamma']] as const) {
        expect(scrape.sum('eventsync_events_written_total', { connection: name })).toBe(box.eventIds().length);
        expect(scrape.value('eventsync_subscription_active', { connection: name })).toBe(1);
      }
      // The histograms are one per process, fed by every connection's commits.
      expect(scrape.count('eventsync_sink_commit_duration_seconds')).toBeGreaterThan(0);
      expect(scrape.value('eventsync_ready', { connection: 'beta' })).toBe(0);
      expect(scrape.sum('eventsync_api_requests_total', { connection: 'beta', status: '401' })).toBeGreaterThan(0);
      const ready = await getJson(`${origin}/readyz`);
      expect(ready.status).toBe(200);
      const { problems } = ready.body as { ready: boolean; problems: Array<{ connection: string; check: string }> };
      expect(ready.body).toMatchObject({ ready: true });
      expect(problems).toContainEqual(expect.objectContaining({ connection: 'beta', check: 'api' }));
      expect(problems.filter((problem) => problem.connection !== 'beta')).toEqual([]);
    } finally {
      run.kill('SIGTERM');
    }
    const result = await run.result;
    expect(result.code, result.stderr).toBe(0);

    for (const [box, name] of [[alpha, 'alpha'], [gamma, 'gamma']] as const) {
      const ids = await idsInFile(join(dir, 'events', `${name}.ndjson`));
      expect(duplicates(ids)).toEqual([]);
      expect(new Set(ids)).toEqual(new Set(box.eventIds()));
      // Deliveries went to this connection's own path, and were taken (a wrong route is a 404).
      const taken = box.deliveries.filter((delivery) => delivery.status === 200);
      expect(taken.length).toBeGreaterThan(0);
      expect(box.deliveries.filter((delivery) => delivery.status === 404)).toEqual([]);
      expect(result.stderr).toContain(`${name}: deleted webhook subscription`);
    }
    // The revoked connection kept what it had, once each, and nothing that is not its account's.
    const betaIds = await idsInFile(join(dir, 'events', 'beta.ndjson'));
    expect(duplicates(betaIds)).toEqual([]);
    const betaFeed = new Set(beta.eventIds());
    expect(betaIds.filter((id) => !betaFeed.has(id))).toEqual([]);
    expect(betaIds.length).toBeGreaterThan(400);
    // Never the key itself: only its last four characters.
    for (const box of [alpha, beta, gamma]) expect(result.stderr).not.toContain(box.apiKey);
  }, 120_000);

  const mistakes: Array<[string, string, RegExp]> = [
    ['a missing key', '  - { name: one, baseUrl: "http://127.0.0.1:9" }', /connections\[0\]\.apiKey: missing/],
    ['an unknown preset', '  - { name: one, baseUrl: "http://127.0.0.1:9", apiKeyEnv: K, preset: nope }', /connections\[0\]\.preset: unknown preset "nope"/],
    [
      'a duplicate name',
      '  - { name: one, baseUrl: "http://127.0.0.1:9", apiKeyEnv: K }\n  - { name: one, baseUrl: "http://127.0.0.1:9", apiKeyEnv: K }',
      /connections\[1\]\.name: "one" is already the name of connections\[0\]/,
    ],
    ['a bad URL', '  - { name: one, baseUrl: "htp:/nowhere", apiKeyEnv: K }', /connections\[0\]\.baseUrl: not an http\(s\) URL/],
  ];
  it.each(mistakes)('refuses a config file with %s, naming its path, exit 2', async (_kind, connections, message) => {
    const dir = await tempDir('run-config');
    const configPath = join(dir, 'eventsync.config.yaml');
    await writeFile(configPath, `connections:\n${connections}\n`);
    const result = await runCli(['run', '--config', configPath], { K: 'itg_test_abcdefghijklmnopqrstuvwx' });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).toContain(configPath);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});
