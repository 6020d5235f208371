/** `pg` is loaded when a PostgresStorage opens, not when `@eventsync/core/node` is imported. */
import { describe, expect, it, vi } from 'vitest';

describe('the Postgres driver', () => {
  it('is not loaded by importing the Node runtime, only by opening a PostgresStorage', async () => {
    let loaded = false;
    vi.doMock('pg', () => {
      loaded = true;
      const refuse = class {
        constructor() {
          throw new Error('no database in this test');
        }
      };
      return { Client: refuse, Pool: refuse };
    });
    const { PostgresStorage } = await import('../src/node/index.js');
    expect(loaded).toBe(false);

    await expect(new PostgresStorage({ url: 'postgres://u:password@127.0.0.1:9/db', source: 's' }).open()).rejects.toThrow(/no database in this test/);
    expect(loaded).toBe(true);
  });
});
