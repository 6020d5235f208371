import { describe, expect, it } from 'vitest';
import { ConfigError } from '@eventsync/core';
import { assertPeerInstalled } from '../src/node/optional-peer.js';

describe('an optional peer dependency', () => {
  it('passes when the package can be found', () => {
    expect(() => assertPeerInstalled('ioredis', 'The shared rate limiter', 'sharedLimiterUrl')).not.toThrow();
  });

  it('names the feature, the setting and the install command when it cannot', () => {
    let thrown: unknown;
    try {
      assertPeerInstalled('eventsync-no-such-package', 'The shared rate limiter', 'sharedLimiterUrl');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as ConfigError).setting).toBe('sharedLimiterUrl');
    expect((thrown as ConfigError).message).toBe(
      'The shared rate limiter needs the eventsync-no-such-package package, which is not installed: run `npm install eventsync-no-such-package`',
    );
  });
});
