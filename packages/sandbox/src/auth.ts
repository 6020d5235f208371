/**
 * Who is calling. Messages name the header the preset expects and the key only by its last
 * four characters: a 401 is where users paste keys into tickets, so the server never echoes
 * one back.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { keyHint, type Preset } from '@eventsync/core';
import { unauthorized, type ApiFailure } from './errors.js';
import type { ResolvedKey } from './options.js';

export interface KeyRingOptions {
  readonly preset: Preset;
  readonly environment: 'test' | 'live';
  readonly keys: readonly ResolvedKey[];
}

export class KeyRing {
  private readonly keys = new Map<string, ResolvedKey>();
  private readonly revoked = new Set<string>();

  constructor(private readonly options: KeyRingOptions) {
    for (const entry of options.keys) this.keys.set(entry.key, entry);
  }

  revoke(key: string): void {
    if (this.keys.has(key)) this.revoked.add(key);
  }

  isRevoked(key: string): boolean {
    return this.revoked.has(key);
  }

  /** The key's entry (its tenant, name and scopes), or undefined when the sandbox has no such key. */
  find(key: string): ResolvedKey | undefined {
    return this.keys.get(key);
  }

  /** The caller's key, or the 401 to answer with. */
  authenticate(headers: IncomingHttpHeaders): ResolvedKey | ApiFailure {
    const presented = this.presentedKey(headers);
    if (typeof presented !== 'string') return presented;
    const { environment } = this.options;
    if (environment === 'live' && presented.includes('_test_')) {
      return unauthorized(`a test key (${keyHint(presented)}) was used against the live API; use a _live_ key here, test keys only work in the test environment`);
    }
    const entry = this.keys.get(presented);
    if (!entry) {
      if (environment === 'test' && presented.includes('_live_')) {
        return unauthorized(`a live key (${keyHint(presented)}) was used against the test API; use a _test_ key here`);
      }
      return unauthorized(`the API key ${keyHint(presented)} is not recognised; check it was copied whole, without extra characters`);
    }
    if (this.revoked.has(presented)) {
      return unauthorized(`the API key ${keyHint(presented)} was revoked or has expired; create a new key`);
    }
    return entry;
  }

  private presentedKey(headers: IncomingHttpHeaders): string | ApiFailure {
    const apiKeyHeader = headers['x-api-key'];
    const authorization = headers.authorization;
    if (this.options.preset.authStyle === 'x-api-key') {
      const value = typeof apiKeyHeader === 'string' ? apiKeyHeader.trim() : '';
      if (value !== '') return value;
      if (authorization !== undefined) {
        return unauthorized('this API reads the key from the X-Api-Key header, not Authorization; send X-Api-Key: <key>');
      }
      return unauthorized('missing API key: send it in the X-Api-Key header');
    }
    if (authorization === undefined) {
      if (apiKeyHeader !== undefined) {
        return unauthorized('this API reads the key from the Authorization header, not X-Api-Key; send Authorization: Bearer <key>');
      }
      return unauthorized('missing API key: send it as Authorization: Bearer <key>');
    }
    const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization);
    if (!match) {
      return unauthorized('malformed Authorization header: expected Authorization: Bearer <key>, with one key and no other scheme');
    }
    return match[1]!;
  }
}
