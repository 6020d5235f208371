/**
 * The config file `eventsync sandbox --write-config` writes, read back by a YAML parser: every
 * value comes back as the same string, however odd the sink or key, because whatever is not
 * plainly safe is quoted.
 */
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DEFAULT_SANDBOX_SINK, sandboxConfigText } from '../src/sandbox-config.js';

describe('sandboxConfigText', () => {
  const awkward = [
    DEFAULT_SANDBOX_SINK,
    'file:./my events/{connection}.ndjson # not a comment',
    'sqlite:',
    'true',
    'null',
    '{connection}',
    '- dash',
    "it's \"quoted\"",
    '123',
    'postgres://u:p@h/db?x=1',
    'tab\there',
    'ünïcode',
  ];

  for (const sink of awkward) {
    it(`reads the sink ${JSON.stringify(sink)} back as written`, () => {
      const text = sandboxConfigText({
        command: 'eventsync sandbox --tenants 1',
        baseUrl: 'http://127.0.0.1:4010',
        preset: 'psa',
        sink,
        connections: [{ name: 'tenant-0001', apiKey: 'odd: #key"' }],
      });
      expect(parse(text)).toEqual({
        version: 1,
        defaults: { sink },
        connections: [{ name: 'tenant-0001', baseUrl: 'http://127.0.0.1:4010', preset: 'psa', apiKey: 'odd: #key"' }],
      });
    });
  }

  it('leaves the usual values plain and always quotes keys', () => {
    const text = sandboxConfigText({ command: 'x', baseUrl: 'http://127.0.0.1:4010', preset: 'integration', sink: DEFAULT_SANDBOX_SINK, connections: [{ name: 'tenant-0001', apiKey: 'wlcro_test_abc' }] });
    expect(text).toContain('  sink: file:./events/{connection}.ndjson\n');
    expect(text).toContain('    baseUrl: http://127.0.0.1:4010\n');
    expect(text).toContain('    apiKey: "wlcro_test_abc"\n');
  });
});
