/** What /metrics says of the requests, commits and passes the observers reported, however many came between two scrapes. */
import { describe, expect, it } from 'vitest';
import type { RequestObservation, SyncProgress } from '@eventsync/core';
import { Scrape } from '../../../test/support/ops.js';
import { ConnectionWatch } from '../src/ops/connection-watch.js';
import { SyncMetrics } from '../src/ops/metrics.js';

function quietWatch(): ConnectionWatch {
  const progress = (): SyncProgress => ({
    delivered: 0,
    byChannel: { poll: 0, webhook: 0 },
    duplicatesSkipped: 0,
    duplicatesByChannel: { poll: 0, webhook: 0 },
    pages: 0,
    watermark: null,
    newestEventAt: null,
    waitingOn: null,
  });
  return new ConnectionWatch({
    sources: { progress, apiNow: () => 0, buckets: () => new Map(), readBucket: () => 'read', sink: () => 'events.ndjson', keyHint: () => '…abcd' },
    now: Date.now,
    alertLagMs: 600_000,
  });
}

function request(status: number | undefined, durationMs: number, bucket = 'read'): RequestObservation {
  return { bucket, method: 'GET', path: '/events', status, durationMs };
}

async function scrape(metrics: SyncMetrics): Promise<Scrape> {
  return new Scrape(await metrics.metrics());
}

describe('SyncMetrics', () => {
  it('counts every request, commit and pass reported between two scrapes, thousands of them included', async () => {
    const watch = quietWatch();
    const metrics = new SyncMetrics({ connections: () => [{ name: '', watch }], listening: false });
    // More than a scrape's worth of buffered durations: some are moved in before anyone reads them.
    for (let index = 0; index < 2_500; index++) {
      metrics.request(request(200, 4));
      metrics.commit({ channel: 'poll', events: 100, durationMs: 0.7 });
    }
    for (let index = 0; index < 3; index++) metrics.request(request(429, 2));
    metrics.request(request(undefined, 30_000, 'write'));
    metrics.commit({ channel: 'poll', events: 100, durationMs: 5, error: new Error('ENOSPC') });
    metrics.pass({ kind: 'sweep', events: 250_000, durationMs: 5_500 });

    const first = await scrape(metrics);
    expect(first.value('eventsync_api_requests_total', { bucket: 'read', status: '200' })).toBe(2_500);
    expect(first.value('eventsync_api_requests_total', { bucket: 'read', status: '429' })).toBe(3);
    expect(first.value('eventsync_api_requests_total', { bucket: 'write', status: 'none' })).toBe(1);
    expect(first.sum('eventsync_rate_limited_total')).toBe(3);
    expect(first.count('eventsync_api_request_duration_seconds')).toBe(2_504);
    // The 2,503 answers took 2-4 ms (the 5 ms bucket); the one without an answer waited 30 s.
    const buckets = first.family('eventsync_api_request_duration_seconds').metrics[0]!.buckets!;
    expect(Number(buckets['0.005'])).toBe(2_503);
    expect(Number(buckets['10'])).toBe(2_503);
    expect(Number(buckets['30'])).toBe(2_504);
    expect(first.count('eventsync_sink_commit_duration_seconds')).toBe(2_500); // the failed commit is not a commit's duration
    expect(first.count('eventsync_poll_pass_duration_seconds')).toBe(1);

    metrics.request(request(200, 4));
    const second = await scrape(metrics);
    expect(second.value('eventsync_api_requests_total', { bucket: 'read', status: '200' })).toBe(2_501);
    expect(second.count('eventsync_api_request_duration_seconds')).toBe(2_505);
    expect(second.count('eventsync_sink_commit_duration_seconds')).toBe(2_500);
  });

  it('labels each connection’s requests with its name under `run`', async () => {
    const [alpha, beta] = [quietWatch(), quietWatch()];
    const metrics = new SyncMetrics({ connections: () => [{ name: 'alpha', watch: alpha }, { name: 'beta', watch: beta }], listening: false, labelled: true });
    metrics.request(request(200, 4), 'alpha');
    metrics.request(request(429, 4), 'beta');
    metrics.request(request(429, 4), 'beta');
    const scraped = await scrape(metrics);
    expect(scraped.value('eventsync_api_requests_total', { connection: 'alpha', status: '200' })).toBe(1);
    expect(scraped.value('eventsync_api_requests_total', { connection: 'beta', status: '429' })).toBe(2);
    expect(scraped.value('eventsync_rate_limited_total', { connection: 'beta', bucket: 'read' })).toBe(2);
    expect(scraped.value('eventsync_rate_limited_total', { connection: 'alpha' })).toBeUndefined();
  });
});
