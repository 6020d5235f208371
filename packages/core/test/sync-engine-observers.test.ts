/** What the engine tells its observers (metrics), and a refused key waited out when the host says it will change. */
import { describe, expect, it } from 'vitest';
import { AuthError, SyncEngine, type CommitObservation, type PassObservation, type SyncEngineOptions } from '@eventsync/core';
import { LaggingFeed } from './lagging-feed.js';
import { MemoryStorage, simulatedEngine } from './memory-sync.js';

const START = Date.parse('2026-04-03T09:00:00.000Z');

function engine(feed: LaggingFeed, storage: MemoryStorage, options: Partial<SyncEngineOptions> = {}): Promise<SyncEngine> {
  return simulatedEngine(feed, storage, { errorPauseMs: 1_000, checkpoint: { lookbackMs: 5_000, settleMs: 500 }, ...options });
}

function backlog(count: number): LaggingFeed {
  const feed = new LaggingFeed(START, 2_000, 5);
  for (let i = 0; i < count; i++) feed.create(START - 600_000 + i * 1_000, 0);
  return feed;
}

describe('SyncEngine observers', () => {
  it('onCommit tells each commit with its channel, events and duration; onPass each pass', async () => {
    const feed = backlog(60);
    const commits: CommitObservation[] = [];
    const passes: PassObservation[] = [];
    const instance = await engine(feed, new MemoryStorage(), { onCommit: (commit) => void commits.push(commit), onPass: (pass) => void passes.push(pass) });
    await instance.pass();
    await instance.accept([feed.create(feed.clock, 0)]);
    expect(commits.filter((commit) => commit.channel === 'poll').reduce((sum, commit) => sum + commit.events, 0)).toBe(60);
    expect(commits.filter((commit) => commit.channel === 'webhook').map((commit) => commit.events)).toEqual([1]);
    expect(commits.every((commit) => commit.durationMs >= 0 && commit.error === undefined)).toBe(true);
    expect(passes).toEqual([{ kind: 'sweep', events: 60, durationMs: expect.any(Number) }]);
  });

  it('onCommit tells of a commit the storage refused, and the error still reaches the caller', async () => {
    const feed = backlog(10);
    const storage = new MemoryStorage();
    const commits: CommitObservation[] = [];
    const instance = await engine(feed, storage, { onCommit: (commit) => void commits.push(commit) });
    storage.commit = async () => {
      throw new Error('disk full');
    };
    await expect(instance.pass()).rejects.toThrow('disk full');
    expect(commits).toHaveLength(1);
    expect((commits[0]!.error as Error).message).toBe('disk full');
  });

  it('an observer that throws changes nothing: every event is still stored once', async () => {
    const feed = backlog(60);
    const storage = new MemoryStorage();
    const broken = (): void => {
      throw new Error('broken dashboard');
    };
    const instance = await engine(feed, storage, { onCommit: broken, onPass: broken });
    await instance.pass();
    expect(storage.lines.map((event) => event.id)).toEqual(feed.events.map((stored) => stored.event.id));
  });

  it('counts repeats by the channel they came in on', async () => {
    const feed = backlog(30);
    const instance = await engine(feed, new MemoryStorage());
    await instance.pass();
    await instance.accept([feed.events[29]!.event, feed.events[28]!.event]);
    const live = feed.create(feed.clock, 0);
    await instance.accept([live]);
    await instance.accept([live]);
    expect(instance.progress.duplicatesByChannel).toEqual({ webhook: 3, poll: 0 });
    expect(instance.progress.duplicatesSkipped).toBe(3);
  });
});

describe('SyncEngine waitOut', () => {
  /** A feed that answers 401 while `refusing`, as an API does to a revoked key. */
  function refusingFeed(feed: LaggingFeed): { feed: LaggingFeed; refuse: (on: boolean) => void } {
    let refusing = false;
    const serve = feed.transport;
    Object.assign(feed, {
      transport: async (...args: Parameters<typeof serve>) =>
        refusing ? { status: 401, headers: {}, body: JSON.stringify({ error: { code: 'unauthorized', message: 'revoked' } }) } : serve(...args),
    });
    return { feed, refuse: (on) => void (refusing = on) };
  }

  it('run() waits out a refused key it was told will change, and stores every event once after', async () => {
    const { feed, refuse } = refusingFeed(backlog(40));
    const storage = new MemoryStorage();
    const waits: Array<Error | null> = [];
    let instance!: SyncEngine;
    let pausedPasses = 0;
    instance = await engine(feed, storage, {
      waitOut: (error) => error instanceof AuthError,
      onProgress: (progress) => {
        waits.push(progress.waitingOn);
        if (progress.waitingOn && ++pausedPasses === 3) refuse(false); // the key file was replaced
        if (storage.lines.length >= 41) instance.stop();
      },
    });
    refuse(true);
    const running = instance.run();
    feed.create(feed.clock, 0);
    await running;
    expect(waits.some((error) => error instanceof AuthError)).toBe(true);
    const ids = storage.lines.map((event) => event.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(new Set(ids)).toEqual(new Set(feed.events.map((stored) => stored.event.id)));
  });

  it('without waitOut a refused key ends run() with the AuthError, as before', async () => {
    const { feed, refuse } = refusingFeed(backlog(5));
    const instance = await engine(feed, new MemoryStorage());
    refuse(true);
    await expect(instance.run()).rejects.toBeInstanceOf(AuthError);
  });
});

describe('SyncEngine sweep cadence', () => {
  it('sweeps on every pass when the poll interval equals the look-back, even when a pass starts a little early', async () => {
    const feed = backlog(10);
    const passes: PassObservation[] = [];
    const instance = await engine(feed, new MemoryStorage(), { pollIntervalMs: 5_000, onPass: (pass) => void passes.push(pass) });
    for (let pass = 0; pass < 6; pass++) {
      await instance.pass();
      // One interval later on the API's clock, give or take the few milliseconds a timer is early.
      feed.clock += 5_000 - (pass % 2 === 0 ? 3 : 0);
    }
    // A pass that tails leaves the watermark a whole look-back further behind than a sweep would.
    expect(passes.map((pass) => pass.kind)).toEqual(['sweep', 'sweep', 'sweep', 'sweep', 'sweep', 'sweep']);
  });
});
