/** How a config problem shows a value: a URL's password masked, a variable reference kept; paths as the file reads. */
import { describe, expect, it } from 'vitest';
import { ConfigFileError, formatPath, maskUrlSecrets } from '../../src/config/config-errors.js';

describe('maskUrlSecrets', () => {
  it('masks the password and password-like parameters of a URL, and keeps the rest as written', () => {
    expect(maskUrlSecrets('postgres://app:pw-secret@db.example.com/events_{connection}')).toBe('postgres://app:***@db.example.com/events_{connection}');
    expect(maskUrlSecrets('postgres://app:p@ss@db/events?sslpassword=zz&application_name=x')).toBe('postgres://app:***@db/events?sslpassword=***&application_name=x');
    expect(maskUrlSecrets('redis://:hunter22@127.0.0.1:6379')).toBe('redis://:***@127.0.0.1:6379');
    expect(maskUrlSecrets('postgres://app@db/events')).toBe('postgres://app@db/events');
    expect(maskUrlSecrets('file:./events/{connection}.ndjson')).toBe('file:./events/{connection}.ndjson');
  });

  it('keeps a ${NAME} reference in the password place, and cuts a URL it cannot read to its scheme', () => {
    expect(maskUrlSecrets('postgres://app:${PGPASSWORD}@db/events')).toBe('postgres://app:${PGPASSWORD}@db/events');
    expect(maskUrlSecrets('postgres://app:pa/ss@db/events')).toBe('postgres:…');
  });
});

describe('ConfigFileError', () => {
  it('formats paths as the file reads them, and masks the secrets it is given wherever they appear', () => {
    expect(formatPath(['connections', 12, 'apiKey'])).toBe('connections[12].apiKey');
    expect(formatPath(['connections', 0, 'api key'])).toBe('connections[0]["api key"]');
    const error = new ConfigFileError('/etc/eventsync.yaml', [{ path: 'connections[0].baseUrl', message: 'not an http(s) URL: "wlcro_test_oops1234"' }], ['wlcro_test_oops1234', 'ab']);
    expect(error.message).toBe('/etc/eventsync.yaml: 1 problem:\n  connections[0].baseUrl: not an http(s) URL: "***"');
  });
});
