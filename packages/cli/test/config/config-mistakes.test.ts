/**
 * Each kind of mistake in a config file, as the user reads it: the setting's path first, then
 * what is wrong and what to do; every problem of the file in one message, the file named first.
 */
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigFileError } from '../../src/config/config-errors.js';
import { loadRunConfig } from '../../src/config/load-config.js';
import { EXIT, exitCodeFor } from '../../src/exit-codes.js';
import { configDir, configFile, connectionProblems, KEY, problemsIn } from './config-files.js';

describe('a config file with mistakes', () => {
  it('lists every problem, one per line, under a first line that names the file and counts them; the CLI exits 2', async () => {
    const path = await configFile(
      ['healthInterval: soon', 'connections:', '  - name: acme', '    baseUrl: https://api.example.com', '  - name: beta', '    baseUrl: htp:/x', '    apiKeyEnv: BETA_KEY'].join('\n'),
    );
    const error = await loadRunConfig(path, {}).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConfigFileError);
    expect(exitCodeFor(error)).toBe(EXIT.usage);
    expect((error as Error).message.split('\n')).toEqual([
      `${path}: 4 problems:`,
      '  healthInterval: not a duration such as 500ms, 15s, 2m or 1h: "soon"',
      '  connections[0].apiKey: missing: set apiKeyEnv, apiKeyFile or apiKey',
      '  connections[1].baseUrl: not an http(s) URL: "htp:/x"',
      '  connections[1].apiKeyEnv: BETA_KEY is not set',
    ]);
    expect((error as ConfigFileError).problems).toHaveLength(4);
  });

  it('says 1 problem, not 1 problems', async () => {
    expect((await connectionProblems('')).split('\n')[0]).toMatch(/: 1 problem:$/);
  });

  it('names a connection without a key, and one with two', async () => {
    expect(await connectionProblems('')).toContain('connections[0].apiKey: missing: set apiKeyEnv, apiKeyFile or apiKey');
    expect(await connectionProblems('apiKeyEnv: KEY\napiKey: wlcro_test_x1234', { KEY })).toContain(
      'connections[0].apiKey: apiKeyEnv is set too: keep one of apiKeyEnv, apiKeyFile and apiKey',
    );
  });

  it('names an unknown preset and lists the ones there are', async () => {
    expect(await connectionProblems('apiKeyEnv: KEY\npreset: foo', { KEY })).toContain(
      'connections[0].preset: unknown preset "foo"; choose one of integration, ventryx, psa, partner',
    );
  });

  it('names a second connection with a name already used, and the first one', async () => {
    const text = ['connections:', ...['acme', 'beta', 'acme'].flatMap((name) => [`  - name: ${name}`, '    baseUrl: https://api.example.com', '    apiKeyEnv: KEY'])].join('\n');
    expect(await problemsIn(await configFile(text), { KEY })).toContain('connections[2].name: "acme" is already the name of connections[0]');
  });

  it('refuses a name that cannot be a source and a URL path', async () => {
    const text = 'connections:\n  - { name: Acme Corp, baseUrl: "https://api.example.com", apiKeyEnv: KEY }\n';
    expect(await problemsIn(await configFile(text), { KEY })).toContain('connections[0].name: "Acme Corp" is not a connection name: lower-case letters');
  });

  it('refuses a base URL that is not http(s), or that carries credentials', async () => {
    const text = 'connections:\n  - { name: a, baseUrl: "htp:/x", apiKeyEnv: KEY }\n  - { name: b, baseUrl: "https://me:pw@api.example.com", apiKeyEnv: KEY }\n  - { name: c, apiKeyEnv: KEY }\n';
    const message = await problemsIn(await configFile(text), { KEY });
    expect(message).toContain('connections[0].baseUrl: not an http(s) URL: "htp:/x"');
    expect(message).toContain('connections[1].baseUrl: must not carry a user or password');
    expect(message).toContain("connections[2].baseUrl: missing: the API's URL, e.g. https://api.example.com (here, or in defaults for every connection)");
  });

  it('refuses durations, numbers and event types it cannot read, saying what it expected', async () => {
    const message = await connectionProblems('apiKeyEnv: KEY\npollInterval: 15x\nlookback: soon\npageSize: 500\nbudgetShare: 2\ntypes: [lead.created, Lead.Created]\nrateLimit: reed:600/1m', {
      KEY,
    }, 'listen: { port: 70000 }\nmetrics: { port: eighty }\nalerts: { url: "https://hooks.example.com/x", lag: 0s }\n');
    expect(message).toContain('listen.port: expected a whole number from 0 to 65535; got 70000');
    expect(message).toContain('metrics.port: expected a whole number from 0 to 65535; got "eighty"');
    expect(message).toContain('alerts.lag: must be above zero: "0s"');
    expect(message).toContain('connections[0].pollInterval: not a duration such as 500ms, 15s, 2m or 1h: "15x"');
    expect(message).toContain('connections[0].lookback: not a duration such as 500ms, 15s, 2m or 1h: "soon"');
    expect(message).toContain('connections[0].pageSize: expected a whole number from 1 to 100; got 500');
    expect(message).toContain('connections[0].budgetShare: expected a share above 0 and at most 1 (e.g. 0.5); got 2');
    expect(message).toContain('connections[0].types[1]: unknown event type "Lead.Created"; types are lower-case: lead.created,');
    expect(message).toContain('connections[0].rateLimit: expected read:N/window and/or write:N/window, e.g. read:600/1m,write:60/1m; got "reed:600/1m"');
  });

  it('names a value of the wrong kind by its kind', async () => {
    const message = await connectionProblems('apiKeyEnv: KEY\ntypes: { lead: created }\nsink: [a]', { KEY }, 'listen: 8080\n');
    expect(message).toContain('listen: expected a mapping of settings; got a number');
    expect(message).toContain('connections[0].types: expected a list of event types, e.g. [lead.created, note.added]; got a mapping');
    expect(message).toContain('connections[0].sink: expected a sink such as file:./events/{connection}.ndjson; got a list');
  });

  it('says which environment variable is not set, at the setting that uses it', async () => {
    const message = await connectionProblems('apiKeyEnv: ACME_KEY\nsink: postgres://app:${PGPASSWORD}@db/events');
    expect(message).toContain('connections[0].apiKeyEnv: ACME_KEY is not set');
    expect(message).toContain('connections[0].sink: the environment variable PGPASSWORD is not set (used as ${PGPASSWORD})');
    expect(await connectionProblems('apiKeyEnv: ACME_KEY', { ACME_KEY: '' })).toContain('connections[0].apiKeyEnv: ACME_KEY is set but empty');
    expect(await connectionProblems('apiKeyEnv: KEY\nlookback: ${not a name}', { KEY })).toContain(
      'connections[0].lookback: ${not a name} is not a reference to an environment variable',
    );
  });

  it('names an unknown setting, with the setting it most likely meant or where it belongs', async () => {
    const message = await connectionProblems('apikey: wlcro_test_k1234\npolInterval: 5s\nhealthInterval: 1m\nstateDir: ./s\ncolour: blue', {}, 'defualts: {}\nsink: file:./x\n');
    expect(message).toContain('connections[0].apikey: unknown setting (did you mean apiKey?)');
    expect(message).toContain('connections[0].polInterval: unknown setting (did you mean pollInterval?)');
    expect(message).toContain('connections[0].healthInterval: unknown setting (it goes at the top level of the file)');
    expect(message).toContain("connections[0].stateDir: unknown setting (it goes in defaults: each connection's state is kept in <stateDir>/<name>)");
    expect(message).toContain('connections[0].colour: unknown setting; the settings here are name, baseUrl, preset,');
    expect(message).toContain('defualts: unknown setting (did you mean defaults?)');
    expect(message).toContain('sink: unknown setting (it goes in defaults, or in a connection)');
  });

  it('refuses stdout as a sink, a sink it cannot read, and a placeholder other than {connection}', async () => {
    const message = await connectionProblems('apiKeyEnv: KEY', { KEY }, 'defaults: { sink: "-" }\n');
    expect(message).toContain('defaults.sink: stdout (-) cannot be shared by connections: use file:, sqlite: or postgres://');
    expect(await connectionProblems('apiKeyEnv: KEY\nsink: mysql://db/events', { KEY })).toContain(
      'connections[0].sink: not a sink: "mysql://db/events"; use file:<path>, sqlite:<path> or postgres://user:password@host/database',
    );
    expect(await connectionProblems('apiKeyEnv: KEY\nsink: file:./{name}.ndjson', { KEY })).toContain(
      'connections[0].sink: unknown placeholder {name} in "file:./{name}.ndjson": the only one is {connection}',
    );
  });

  it('refuses a file without connections, or with them written as a mapping', async () => {
    expect(await problemsIn(await configFile('version: 1\n'))).toContain('connections: missing: list the connections');
    expect(await problemsIn(await configFile('connections: []\n'))).toContain('connections: is empty: list at least one connection');
    expect(await problemsIn(await configFile('connections:\n  acme: { baseUrl: "https://api.example.com" }\n'))).toContain(
      'connections: expected a list; got a mapping: write each connection as a list item, starting with "- name: ..."',
    );
    expect(await problemsIn(await configFile('connections:\n  - acme\n'))).toContain('connections[0]: expected a mapping of settings; got text');
  });

  it('knows only version 1', async () => {
    expect(await connectionProblems('apiKeyEnv: KEY', { KEY }, 'version: 2\n')).toContain('version: the only version is 1; got 2');
  });

  it('says a key file that is not there, and a key that cannot be a key, without showing it', async () => {
    const dir = await configDir();
    const message = await problemsIn(
      await configFile('connections:\n  - { name: a, baseUrl: "https://api.example.com", apiKeyFile: keys/missing }\n  - { name: b, baseUrl: "https://api.example.com", apiKeyEnv: KEY }\n', { dir }),
      { KEY: 'wlcro_test_white space' },
    );
    expect(message).toContain(`connections[0].apiKeyFile: the API key file ${join(dir, 'keys', 'missing')}: it does not exist`);
    expect(message).toContain('connections[1].apiKeyEnv: KEY: the API key contains white space');
    expect(message).not.toContain('white space'.replace(' ', '_'));
  });

  it('says a file that is not there, a directory, an empty file and a file that is not a mapping', async () => {
    const dir = await configDir();
    expect(await problemsIn(join(dir, 'nothing.yaml'))).toBe(`${join(dir, 'nothing.yaml')}: 1 problem:\n  not found: check the path given to --config`);
    expect(await problemsIn(dir)).toContain('is a directory: give the path of the config file itself');
    expect(await problemsIn(await configFile('# nothing yet\n'))).toContain('is empty: it needs at least a connections list');
    expect(await problemsIn(await configFile('- name: acme\n'))).toContain('expected a mapping of settings (version, defaults, connections, ...) at the top; got a list');
  });

  it('says where YAML and JSON syntax goes wrong, by line and column', async () => {
    const yaml = await problemsIn(await configFile('connections:\n  - name: acme\n    baseUrl: "https://api.example.com\n'));
    expect(yaml).toMatch(/line \d+, column \d+: Missing closing "quote/);
    expect(await problemsIn(await configFile('connections:\n  - name: acme\n      baseUrl: x\n'))).toContain('line 2, column 11: Nested mappings are not allowed in compact mappings');
    const duplicate = await problemsIn(await configFile('connections: []\nconnections: []\n'));
    expect(duplicate).toContain('line 2, column 1: Map keys must be unique');
    const json = await problemsIn(await configFile('{\n  "connections": [\n    { "name": "acme", }\n  ]\n', { name: 'eventsync.config.json' }));
    expect(json).toMatch(/line \d+, column \d+: /);
  });
});

describe('file sinks', () => {
  const two = (sinks: [string | undefined, string | undefined], defaults = '') =>
    [
      defaults,
      'connections:',
      ...sinks.flatMap((sink, index) => [`  - name: ${['acme', 'beta'][index]}`, '    baseUrl: https://api.example.com', '    apiKeyEnv: KEY', ...(sink ? [`    sink: ${sink}`] : [])]),
    ].join('\n');

  it('refuses a file that two connections would write, naming the file, where the second one says so', async () => {
    const dir = await configDir();
    const fromDefaults = await problemsIn(await configFile(two([undefined, undefined], 'defaults: { sink: "file:./events.ndjson" }'), { dir }), { KEY });
    expect(fromDefaults).toContain(`defaults.sink: connections acme and beta would write the same file ${join(dir, 'events.ndjson')}: put {connection} in the path`);
    const ownSinks = await problemsIn(await configFile(two(['file:./out/all.ndjson', `file:${join(dir, 'out', 'all.ndjson')}`]), { dir }), { KEY });
    expect(ownSinks).toContain(`connections[1].sink: connections acme and beta would write the same file ${join(dir, 'out', 'all.ndjson')}`);
  });

  it('takes one file per connection with {connection}, one file for a single connection, and one database for many', async () => {
    const dir = await configDir();
    const perConnection = await loadRunConfig(await configFile(two([undefined, undefined], 'defaults: { sink: "file:/var/events/{connection}.ndjson" }'), { dir }), { KEY });
    expect(perConnection.connections.map((connection) => connection.sink)).toEqual([
      { kind: 'file', path: '/var/events/acme.ndjson' },
      { kind: 'file', path: '/var/events/beta.ndjson' },
    ]);
    const single = await loadRunConfig(await configFile('connections:\n  - { name: a, baseUrl: "https://api.example.com", apiKeyEnv: KEY, sink: "file:a.ndjson" }\n', { dir }), { KEY });
    expect(single.connections[0]?.sink).toEqual({ kind: 'file', path: join(dir, 'a.ndjson') });
    const sqlite = await loadRunConfig(await configFile(two([undefined, undefined], 'defaults: { sink: "sqlite:./events.db" }'), { dir }), { KEY });
    expect(sqlite.connections.map((connection) => [connection.sink, connection.tables.source])).toEqual([
      [{ kind: 'sqlite', path: join(dir, 'events.db') }, 'acme'],
      [{ kind: 'sqlite', path: join(dir, 'events.db') }, 'beta'],
    ]);
  });
});

describe('a key written in the config file', () => {
  const text = `connections:\n  - name: acme\n    baseUrl: https://api.example.com\n    apiKey: ${KEY}\n`;

  it('is taken when only the owner can read the file (0600, 0400)', async () => {
    for (const mode of [0o600, 0o400]) {
      const config = await loadRunConfig(await configFile(text, { mode }), {});
      expect(config.connections[0]).toMatchObject({ client: { apiKey: KEY }, keySource: 'inline', keyFile: undefined });
    }
  });

  it('is refused when the group or others can read the file, saying how to fix it and never showing the key', async () => {
    for (const mode of [0o644, 0o640, 0o604]) {
      const path = await configFile(text, { mode });
      const message = await problemsIn(path);
      expect(message).toContain(`connections[0].apiKey: a key written in the config file needs a file only its owner can read, and ${path} has mode 0${mode.toString(8)}`);
      expect(message).toContain(`run chmod 600 ${path}, or move the key to an environment variable (apiKeyEnv) or a file of its own (apiKeyFile)`);
      expect(message).not.toContain(KEY);
    }
  });

  it('is read from a key file with a relative path, whatever the config file mode', async () => {
    const dir = await configDir();
    await mkdir(join(dir, 'keys'));
    await writeFile(join(dir, 'keys', 'acme'), `${KEY}\n`);
    await chmod(join(dir, 'keys', 'acme'), 0o600);
    const path = await configFile('connections:\n  - { name: acme, baseUrl: "https://api.example.com", apiKeyFile: ./keys/acme }\n', { dir, mode: 0o644 });
    expect((await loadRunConfig(path, {})).connections[0]).toMatchObject({ client: { apiKey: KEY }, keyFile: join(dir, 'keys', 'acme'), keySource: `file ${join(dir, 'keys', 'acme')}` });
  });
});

describe('secrets in a config file with mistakes', () => {
  it('never appear in the message: inline keys, keys from the environment, passwords in URLs', async () => {
    const secrets = {
      inline: 'wlcro_test_inline0secret',
      spaced: 'wlcro_test_has space0secret',
      fromEnv: 'wlcro_test_envvar0secret',
      pasted: 'wlcro_test_pasted0secret',
      password: 'pg-password-secret',
      envPassword: 'env-password-secret',
      redis: 'redis-password-secret',
      wrongPlace: 'wlcro_test_wrongplace0secret',
    };
    const path = await configFile(
      [
        `sharedLimiter: "http://:${secrets.redis}@localhost:6379"`,
        'connections:',
        // a world-readable file with a key in it
        `  - { name: a, baseUrl: "https://api.example.com", apiKey: ${secrets.inline}, preset: nope }`,
        // a key that cannot be a key
        `  - { name: b, baseUrl: "https://api.example.com", apiKey: "${secrets.spaced}" }`,
        // a key from the environment that is refused for another reason, and a key pasted as the variable's name
        `  - { name: c, baseUrl: "htp://\${ENV_KEY}", apiKeyEnv: ENV_KEY, sink: "postgres://app:${secrets.password}@db/{name}" }`,
        `  - { name: d, baseUrl: "https://api.example.com", apiKeyEnv: ${secrets.pasted} }`,
        // a password from the environment in a sink that is wrong, a key typed under a misspelt setting and in a URL
        `  - { name: e, baseUrl: "https://api.example.com", apiKeyEnv: ENV_KEY, sink: "postgres://app:\${PGPASSWORD}@db/{db}", apikey: ${secrets.wrongPlace} }`,
        `  - { name: f, baseUrl: "${secrets.wrongPlace}", apiKey: ${secrets.wrongPlace} }`,
        `  - { name: g, baseUrl: 5, apiKey: 12345678 }`,
        // too short a password for the last-resort masking (it would mangle words): the URL itself is shown masked
        `  - { name: h, baseUrl: "https://api.example.com", apiKeyEnv: ENV_KEY, sink: "postgres://app:pw3@db/{x}" }`,
      ].join('\n'),
      { mode: 0o644 },
    );
    const message = await problemsIn(path, { ENV_KEY: secrets.fromEnv, PGPASSWORD: secrets.envPassword });
    for (const secret of Object.values(secrets)) expect(message).not.toContain(secret);
    expect(message).not.toContain('12345678');
    // ... and yet each problem is there.
    expect(message).toContain('sharedLimiter: not a redis:// or rediss:// URL: "http://:***@localhost:6379"');
    expect(message).toContain('connections[0].preset: unknown preset "nope"');
    expect(message).toContain('connections[0].apiKey: a key written in the config file needs a file only its owner can read');
    expect(message).toContain('connections[1].apiKey: the API key contains white space');
    expect(message).toContain('connections[2].baseUrl: not an http(s) URL: "htp://${ENV_KEY}"');
    expect(message).toContain('connections[2].sink: unknown placeholder {name} in "postgres://app:***@db/{name}"');
    expect(message).toContain('connections[3].apiKeyEnv: takes the name of the environment variable that holds the key (e.g. ACME_API_KEY); this value is not a variable name');
    expect(message).toContain('connections[4].sink: unknown placeholder {db} in "postgres://app:${PGPASSWORD}@db/{db}"');
    expect(message).toContain('connections[4].apikey: unknown setting (did you mean apiKey?)');
    expect(message).toContain('connections[5].baseUrl: not an http(s) URL: "***"');
    expect(message).toContain('connections[6].apiKey: expected an API key as text; got a number');
    expect(message).toContain('connections[7].sink: unknown placeholder {x} in "postgres://app:***@db/{x}"');
  });
});
