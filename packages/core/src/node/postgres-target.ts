/**
 * The database a Postgres storage writes to, as its URL names it, and how to speak of it
 * without its password: every message and description shows `masked`, and any text we did
 * not write (a driver's message) passes through `redact` first.
 */
import { userInfo } from 'node:os';
import { ConfigError } from '../errors.js';

export class PostgresTarget {
  /** The URL with the password (and any `?password=`-like parameter) shown as `***`. */
  readonly masked: string;
  /** Who connects and to what, for messages; as pg picks them when the URL leaves them out. */
  readonly user: string;
  readonly database: string;
  private readonly secrets: readonly string[];

  /** @throws ConfigError when `url` is not a postgres:// or postgresql:// URL (the message never repeats it). */
  constructor(readonly url: string) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new ConfigError('the Postgres URL is not a valid URL: expected postgres://user:password@host:5432/database', 'url');
    }
    if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
      throw new ConfigError(`the Postgres URL must start with postgres:// or postgresql://, not ${parsed.protocol}//`, 'url');
    }
    const secrets: string[] = [];
    const masked = new URL(url);
    if (parsed.password) {
      secrets.push(parsed.password, decodeURIComponent(parsed.password));
      masked.password = '***';
    }
    for (const [name, value] of parsed.searchParams) {
      if (!/password/i.test(name)) continue;
      secrets.push(value);
      masked.searchParams.set(name, '***');
    }
    this.masked = masked.href;
    // Too short a secret would be found inside ordinary words; such a password is not worth the mangled messages.
    this.secrets = [...new Set(secrets)].filter((secret) => secret.length >= 4).sort((a, b) => b.length - a.length);
    this.user = parsed.searchParams.get('user') || decodeURIComponent(parsed.username) || process.env['PGUSER'] || userInfo().username;
    this.database = decodeURIComponent(parsed.pathname.slice(1)) || process.env['PGDATABASE'] || this.user;
  }

  /** `text` with every occurrence of the password replaced by `***`. */
  redact(text: string): string {
    return this.secrets.reduce((result, secret) => result.split(secret).join('***'), text);
  }
}
