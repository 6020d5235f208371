/** PostgresTarget: what messages say about a database URL, and that they never carry its password. */
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../src/errors.js';
import { PostgresTarget } from '../src/node/postgres-target.js';

describe('PostgresTarget', () => {
  it('masks the password in the URL, and any password-like query parameter', () => {
    const target = new PostgresTarget('postgresql://sync%40ops:s3cr%2Ft-pass@db.internal:6543/events?sslmode=require&sslpassword=key-pass');
    expect(target.masked).toBe('postgresql://sync%40ops:***@db.internal:6543/events?sslmode=require&sslpassword=***');
    expect(target.user).toBe('sync@ops');
    expect(target.database).toBe('events');
  });

  it('redacts the password from text it did not write, as typed in the URL and as decoded', () => {
    const target = new PostgresTarget('postgres://u:s3cr%2Ft-pass@db/x?sslpassword=key-pass');
    expect(target.redact('tried s3cr%2Ft-pass, then s3cr/t-pass, then key-pass')).toBe('tried ***, then ***, then ***');
  });

  it('leaves text alone for a password too short to find safely', () => {
    expect(new PostgresTarget('postgres://u:abc@db/x').redact('abc of connections')).toBe('abc of connections');
  });

  it('takes the user from ?user= and the database from the user when the URL names neither', () => {
    const target = new PostgresTarget('postgres://db.internal?user=loader');
    expect([target.user, target.database]).toEqual(['loader', 'loader']);
  });

  it('refuses a URL that is not Postgres, without repeating it', () => {
    expect(() => new PostgresTarget('not a url with hunter22')).toThrow(ConfigError);
    expect(() => new PostgresTarget('not a url with hunter22')).toThrow(/^the Postgres URL is not a valid URL: expected postgres:\/\/user:password@host:5432\/database$/);
  });
});
