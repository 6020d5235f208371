/** The config file of `eventsync run`, read as the runner gets it: defaults applied, paths absolute, keys read. */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRunConfig } from '../../src/config/load-config.js';
import { configDir, configFile, KEY, OTHER_KEY } from './config-files.js';

const FULL_YAML = `
version: 1
defaults:
  sink: file:./events/{connection}.ndjson
  tablePrefix: sync_
  stateDir: ./state
  types: [lead.created, invoice.paid]
  pollInterval: 20s
  pageSize: 50
  lookback: 5m
  budgetShare: 0.5
  rateLimit: read:600/1m,write:60/1m
healthInterval: 1m
listen:
  port: 8080
  publicUrl: https://sync.example.com/
metrics: { port: 9464 }
alerts: { url: https://hooks.example.com/x }
sharedLimiter: redis://127.0.0.1:6379
connections:
  - name: acme
    baseUrl: https://api.example.com
    preset: partner
    apiKeyEnv: ACME_API_KEY
  - name: beta.eu
    baseUrl: https://eu.example.com
    apiKeyFile: keys/beta
    sink: sqlite:./events.db
    types: note.created
    pageSize: 100
    lookback: 30s
`;

const FULL_JSON = JSON.stringify({
  version: 1,
  defaults: {
    sink: 'file:./events/{connection}.ndjson',
    tablePrefix: 'sync_',
    stateDir: './state',
    types: ['lead.created', 'invoice.paid'],
    pollInterval: '20s',
    pageSize: 50,
    lookback: '5m',
    budgetShare: 0.5,
    rateLimit: 'read:600/1m,write:60/1m',
  },
  healthInterval: '1m',
  listen: { port: 8080, publicUrl: 'https://sync.example.com/' },
  metrics: { port: 9464 },
  alerts: { url: 'https://hooks.example.com/x' },
  sharedLimiter: 'redis://127.0.0.1:6379',
  connections: [
    { name: 'acme', baseUrl: 'https://api.example.com', preset: 'partner', apiKeyEnv: 'ACME_API_KEY' },
    { name: 'beta.eu', baseUrl: 'https://eu.example.com', apiKeyFile: 'keys/beta', sink: 'sqlite:./events.db', types: 'note.created', pageSize: 100, lookback: '30s' },
  ],
});

async function withKeyFile(dir: string): Promise<void> {
  await mkdir(join(dir, 'keys'));
  await writeFile(join(dir, 'keys', 'beta'), `${OTHER_KEY}\n`);
}

describe('loadRunConfig', () => {
  it('resolves every setting of a full file: durations in ms, paths against the file, keys read, publicUrl without its slash', async () => {
    const dir = await configDir();
    await withKeyFile(dir);
    const path = await configFile(FULL_YAML, { dir });
    const config = await loadRunConfig(path, { ACME_API_KEY: KEY });
    const policies = { read: { bucket: 'read', limit: 600, windowMs: 60_000 }, write: { bucket: 'write', limit: 60, windowMs: 60_000 } };
    expect(config).toEqual({
      path,
      listen: { port: 8080, publicUrl: 'https://sync.example.com' },
      metrics: { host: '127.0.0.1', port: 9464 },
      alerts: { url: 'https://hooks.example.com/x', lagMs: 600_000 },
      sharedLimiter: 'redis://127.0.0.1:6379',
      healthIntervalMs: 60_000,
      connections: [
        {
          name: 'acme',
          client: { baseUrl: 'https://api.example.com', apiKey: KEY, preset: 'partner', policies },
          keyFile: undefined,
          keySource: 'env ACME_API_KEY',
          types: ['lead.created', 'invoice.paid'],
          pollIntervalMs: 20_000,
          pageSize: 50,
          lookbackMs: 300_000,
          budgetShare: 0.5,
          sink: { kind: 'file', path: join(dir, 'events', 'acme.ndjson') },
          tables: { source: 'acme', tablePrefix: 'sync_', schema: undefined },
          stateDir: join(dir, 'state', 'acme'),
        },
        {
          name: 'beta.eu',
          client: { baseUrl: 'https://eu.example.com', apiKey: OTHER_KEY, preset: 'integration', policies },
          keyFile: join(dir, 'keys', 'beta'),
          keySource: `file ${join(dir, 'keys', 'beta')}`,
          types: ['note.created'],
          pollIntervalMs: 20_000,
          pageSize: 100,
          lookbackMs: 30_000,
          budgetShare: 0.5,
          sink: { kind: 'sqlite', path: join(dir, 'events.db') },
          tables: { source: 'beta.eu', tablePrefix: 'sync_', schema: undefined },
          stateDir: join(dir, 'state', 'beta.eu'),
        },
      ],
    });
  });

  it('reads a JSON file as the same configuration as the YAML one', async () => {
    const dir = await configDir();
    await withKeyFile(dir);
    const env = { ACME_API_KEY: KEY };
    const fromYaml = await loadRunConfig(await configFile(FULL_YAML, { dir, name: 'eventsync.config.yaml' }), env);
    const jsonPath = await configFile(FULL_JSON, { dir, name: 'eventsync.config.json' });
    expect(await loadRunConfig(jsonPath, env)).toEqual({ ...fromYaml, path: jsonPath });
  });

  it("applies sync's defaults to what the file leaves out, the state and files next to the config file", async () => {
    const dir = await configDir();
    const path = await configFile(`connections:\n  - name: acme\n    baseUrl: https://api.example.com\n    apiKeyEnv: KEY\n`, { dir });
    const config = await loadRunConfig(path, { KEY });
    expect(config).toMatchObject({ listen: undefined, metrics: undefined, alerts: undefined, sharedLimiter: undefined, healthIntervalMs: 30_000 });
    expect(config.connections).toEqual([
      {
        name: 'acme',
        client: { baseUrl: 'https://api.example.com', apiKey: KEY, preset: 'integration' },
        keyFile: undefined,
        keySource: 'env KEY',
        types: [],
        pollIntervalMs: 2_000,
        pageSize: 100,
        lookbackMs: undefined,
        budgetShare: 0.75,
        sink: { kind: 'file', path: join(dir, 'events', 'acme.ndjson') },
        tables: { source: 'acme', tablePrefix: undefined, schema: undefined },
        stateDir: join(dir, 'eventsync-state', 'acme'),
      },
    ]);
  });

  it('polls every 15 s behind a webhook receiver unless told otherwise, as sync --listen does', async () => {
    const path = await configFile(
      `listen: { port: 0 }\nconnections:\n  - { name: a, baseUrl: "https://api.example.com", apiKeyEnv: KEY }\n  - { name: b, baseUrl: "https://api.example.com", apiKeyEnv: KEY, pollInterval: 1m }\n`,
    );
    const config = await loadRunConfig(path, { KEY });
    expect(config.listen).toEqual({ port: 0, publicUrl: undefined });
    expect(config.connections.map((connection) => connection.pollIntervalMs)).toEqual([15_000, 60_000]);
  });

  it('lets a connection override defaults, and defaults give a base URL and preset to every connection', async () => {
    const path = await configFile(
      [
        'defaults:',
        '  baseUrl: https://api.example.com',
        '  preset: psa',
        '  sink: postgres://app@db.example.com/events',
        '  schema: sync',
        '  budgetShare: 0.25',
        'connections:',
        '  - { name: a, apiKeyEnv: KEY }',
        '  - { name: b, apiKeyEnv: KEY, baseUrl: "https://other.example.com", preset: ventryx, schema: other, budgetShare: 1 }',
      ].join('\n'),
    );
    const [a, b] = (await loadRunConfig(path, { KEY })).connections;
    expect(a).toMatchObject({ client: { baseUrl: 'https://api.example.com', preset: 'psa' }, budgetShare: 0.25, tables: { source: 'a', schema: 'sync' } });
    expect(a?.sink).toEqual({ kind: 'postgres', url: 'postgres://app@db.example.com/events' });
    expect(b).toMatchObject({ client: { baseUrl: 'https://other.example.com', preset: 'ventryx' }, budgetShare: 1, tables: { source: 'b', schema: 'other' } });
  });

  it('replaces ${NAME} in any string by the environment variable, and $${ stands for ${', async () => {
    const dir = await configDir();
    const path = await configFile(
      [
        'defaults:',
        '  sink: postgres://app:${PGPASSWORD}@${PGHOST}/events_{connection}',
        '  pollInterval: ${POLL}',
        '  pageSize: ${PAGE}',
        '  stateDir: ./state-$${HOST}',
        'metrics: { port: "${METRICS_PORT}" }',
        'connections:',
        '  - name: acme',
        '    baseUrl: https://${API_HOST}',
        '    apiKey: ${ACME_KEY}',
      ].join('\n'),
      // The key is not in the file, so the file's mode does not matter.
      { dir, mode: 0o644 },
    );
    const env = { PGPASSWORD: 'pw-secret', PGHOST: 'db.example.com', POLL: '45s', PAGE: '25', METRICS_PORT: '9100', API_HOST: 'api.example.com', ACME_KEY: KEY };
    const config = await loadRunConfig(path, env);
    expect(config.metrics).toEqual({ host: '127.0.0.1', port: 9100 });
    expect(config.connections[0]).toMatchObject({
      client: { baseUrl: 'https://api.example.com', apiKey: KEY },
      keySource: 'env ACME_KEY',
      sink: { kind: 'postgres', url: 'postgres://app:pw-secret@db.example.com/events_acme' },
      pollIntervalMs: 45_000,
      pageSize: 25,
      stateDir: join(dir, 'state-${HOST}', 'acme'),
    });
  });
});
