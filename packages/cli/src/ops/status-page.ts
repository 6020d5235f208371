/**
 * The status page for the person on call: `GET /` is plain HTML and `GET /status.js` a
 * little script (packages/cli/assets, shipped as they are: no build step), which fetches
 * `GET /status.json` every few seconds and draws one card per connection. The JSON is made
 * here from the same ConnectionWatch readings that /metrics and /readyz use.
 */
import { readFile } from 'node:fs/promises';
import type { ConnectionWatch, Problem } from './connection-watch.js';

export interface ConnectionStatus {
  readonly name: string;
  readonly ready: boolean;
  readonly problems: readonly Problem[];
  /** The API key, by its last four characters only. */
  readonly key: string;
  readonly lag_seconds: number | null;
  readonly watermark: string | null;
  readonly events_written: Readonly<Record<'poll' | 'webhook', number>>;
  readonly duplicates_skipped: Readonly<Record<'poll' | 'webhook', number>>;
  readonly bad_signatures: number | null;
  readonly subscription: { readonly state: string; readonly id: string | null; readonly detail: string; readonly since: string } | null;
  readonly webhook_delivery_failures: number | null;
  readonly rate_budget: { readonly bucket: string; readonly remaining: number | null; readonly limit: number | null } | null;
  readonly last_error: { readonly at: string; readonly message: string } | null;
}

export function connectionStatus(name: string, watch: ConnectionWatch): ConnectionStatus {
  const { sources } = watch;
  const problems = watch.problems();
  const { watermark } = sources.progress();
  const subscription = watch.subscriptionView();
  const readBucket = sources.readBucket();
  const reading = sources.buckets().get(readBucket);
  const lastError = watch.lastErrorSeen();
  return {
    name,
    ready: problems.length === 0,
    problems,
    key: sources.keyHint(),
    lag_seconds: watch.lagSeconds() ?? null,
    watermark: watermark === null ? null : new Date(watermark).toISOString(),
    events_written: watch.written(),
    duplicates_skipped: watch.duplicates(),
    bad_signatures: watch.badSignatures() ?? null,
    subscription: subscription
      ? { state: subscription.state, id: subscription.id ?? null, detail: subscription.detail, since: new Date(subscription.since).toISOString() }
      : null,
    webhook_delivery_failures: watch.webhookDeliveryFailures() ?? null,
    rate_budget: reading ? { bucket: readBucket, remaining: reading.remaining ?? null, limit: reading.limit ?? null } : null,
    last_error: lastError ? { at: new Date(lastError.at).toISOString(), message: lastError.message } : null,
  };
}

export interface StatusPageAssets {
  readonly html: Buffer;
  readonly script: Buffer;
}

/** Read once when the server starts; from dist/ops or src/ops alike, the assets are two folders up. */
export async function loadStatusPageAssets(): Promise<StatusPageAssets> {
  const [html, script] = await Promise.all([
    readFile(new URL('../../assets/status-page.html', import.meta.url)),
    readFile(new URL('../../assets/status-page.js', import.meta.url)),
  ]);
  return { html, script };
}
