/**
 * The status page in a real headless browser (Debian's chromium, driven by puppeteer-core;
 * scripts/ensure-chromium.sh installs it for `npm test`): it loads, shows what /metrics shows,
 * and turns red when the API key is revoked.
 */
import { execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { afterEach, describe, expect, it } from 'vitest';
import { keyHint } from '@eventsync/core';
import { startSandbox } from '@eventsync/sandbox';
import { startCli, tempDir } from './support/cli.js';
import { Scrape, waitFor } from './support/ops.js';
import { freePort } from './support/ports.js';

// These run inside the page (puppeteer sends them there); the tests' tsconfig has no DOM library.
declare const document: { getElementById(id: string): { textContent: string | null } | null };
declare function getComputedStyle(element: unknown): { backgroundColor: string };

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function chromiumPath(): string {
  for (const name of ['chromium', 'chromium-browser']) {
    try {
      return execFileSync('which', [name], { encoding: 'utf8' }).trim();
    } catch {
      // next name
    }
  }
  throw new Error('chromium is not installed: run scripts/ensure-chromium.sh (npm test does)');
}

async function figure(page: Page, name: string): Promise<string> {
  return page.$eval(`[data-figure="${name}"]`, (cell) => (cell as unknown as { dataset: Record<string, string | undefined> }).dataset.value ?? '');
}

describe('the status page', () => {
  it('loads in a browser, shows the figures /metrics shows, and turns red when the key is revoked', async () => {
    const sandbox = await startSandbox({ seed: 81, visibilityLagMs: 200, policies: { read: 'read:1000/1m', write: 'write:1000/1m' }, backlog: { count: 400, spanMs: 600_000 } });
    cleanups.push(() => sandbox.stop());
    const dir = await tempDir('ops-status');
    const keyFile = join(dir, 'api-key');
    await writeFile(keyFile, sandbox.apiKey);
    const port = await freePort();
    const origin = `http://127.0.0.1:${port}`;
    const sync = startCli(
      ['sync', '--listen', '0', '--api-key-file', keyFile, '--metrics-port', String(port), '--poll-interval', '500ms', '--lookback', '1s', '--no-status']
        .concat(['--rate-limit', 'read:1000/1m,write:1000/1m', '--data-dir', dir]),
      { EVENTSYNC_BASE_URL: sandbox.url },
    );
    cleanups.push(() => sync.kill('SIGKILL'));
    await waitFor('the backlog synced', async () => (await Scrape.of(origin).catch(() => undefined))?.value('eventsync_events_written_total', { channel: 'poll' }) === 400, 30_000);

    const browser: Browser = await puppeteer.launch({ executablePath: chromiumPath(), headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
    cleanups.push(() => browser.close());
    const page = await browser.newPage();
    const failures: string[] = [];
    page.on('pageerror', (error) => failures.push(String(error)));
    await page.goto(`${origin}/`, { waitUntil: 'networkidle0' });
    await page.waitForSelector('section.connection');

    // The page refreshes itself; a scrape taken between two of its refreshes lies between what they show.
    const counters = async () => ({
      poll: Number(await figure(page, 'events-poll')),
      webhook: Number(await figure(page, 'events-webhook')),
      duplicates: Number(await figure(page, 'duplicates')),
      badSignatures: Number(await figure(page, 'bad-signatures')),
    });
    const shownBefore = await counters();
    const summaryBefore = await page.$eval('#summary', (summary) => summary.textContent);
    const scrape = await Scrape.of(origin);
    await page.waitForFunction((before) => document.getElementById('summary')!.textContent !== before, { timeout: 10_000 }, summaryBefore);
    const shownAfter = await counters();
    const scraped = {
      poll: scrape.value('eventsync_events_written_total', { channel: 'poll' })!,
      webhook: scrape.value('eventsync_events_written_total', { channel: 'webhook' })!,
      duplicates: scrape.sum('eventsync_duplicates_skipped_total'),
      badSignatures: scrape.value('eventsync_bad_signatures_total')!,
    };
    for (const name of ['poll', 'webhook', 'duplicates', 'badSignatures'] as const) {
      expect(scraped[name], name).toBeGreaterThanOrEqual(shownBefore[name]);
      expect(scraped[name], name).toBeLessThanOrEqual(shownAfter[name]);
    }
    expect(shownAfter.poll).toBe(400);
    expect(Math.abs(Number(await figure(page, 'lag')) - scrape.value('eventsync_checkpoint_lag_seconds')!)).toBeLessThan(4);
    expect(Math.abs(Number(await figure(page, 'budget')) - scrape.value('eventsync_rate_limit_remaining', { bucket: 'read' })!)).toBeLessThanOrEqual(10);
    expect(await figure(page, 'subscription')).toBe(scrape.value('eventsync_subscription_active') === 1 ? 'active' : 'not active');
    expect(await figure(page, 'key')).toBe(keyHint(sandbox.apiKey));
    expect(await page.$eval('section.connection', (card) => card.className)).toBe('connection');
    const calm = await page.$eval('section.connection', (card) => getComputedStyle(card).backgroundColor);

    sandbox.revokeKey(sandbox.apiKey);
    // The page refreshes itself: no reload here.
    await page.waitForSelector('section.connection.bad', { timeout: 20_000 });
    const alarmed = await page.$eval('section.connection', (card) => getComputedStyle(card).backgroundColor);
    expect(alarmed).not.toBe(calm);
    const [red, green, blue] = alarmed.match(/\d+/g)!.map(Number) as [number, number, number];
    expect(red).toBeGreaterThan(green);
    expect(red).toBeGreaterThan(blue);
    const problems = await page.$eval('.problems', (list) => list.textContent ?? '');
    expect(problems).toContain('401');
    expect(problems).toContain(keyHint(sandbox.apiKey));
    expect(await page.$eval('.badge', (badge) => badge.textContent)).toBe('NEEDS ATTENTION');
    expect(await page.content()).not.toContain(sandbox.apiKey);
    expect(failures).toEqual([]);
    await page.screenshot({ path: join(dir, 'status-page.png') });

    sync.kill('SIGTERM');
    expect((await sync.result).code).toBe(0);
  }, 90_000);
});
