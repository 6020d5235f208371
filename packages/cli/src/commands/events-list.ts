/** `eventsync events list`: the newest events (or a window), as a table or NDJSON. */
import { PAGE_LIMIT_MAX, type EventEnvelope, type EventQuery } from '@eventsync/core';
import { createCliClient } from '../cli-client.js';
import { requireApi, resolveConnection, type ConnectionFlags } from '../connection.js';
import { parseInstant } from '../durations.js';
import { UsageError } from '../usage-error.js';

export interface EventsListFlags extends ConnectionFlags {
  readonly since?: string;
  readonly until?: string;
  readonly types?: string;
  readonly limit: string;
  readonly order: string;
  readonly json?: boolean;
}

export async function runEventsList(flags: EventsListFlags, io: { env: NodeJS.ProcessEnv; stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream }): Promise<void> {
  const limit = Number(flags.limit);
  if (!Number.isInteger(limit) || limit < 1) throw new UsageError(`--limit takes a whole number above 0; got "${flags.limit}"`);
  if (flags.order !== 'asc' && flags.order !== 'desc') throw new UsageError(`--order is asc or desc; got "${flags.order}"`);
  const now = Date.now();
  const query: EventQuery = {
    order: flags.order,
    limit: Math.min(limit, PAGE_LIMIT_MAX),
    ...(flags.since ? { since: parseInstant(flags.since, '--since', now) } : {}),
    ...(flags.until ? { until: parseInstant(flags.until, '--until', now) } : {}),
    ...(flags.types ? { types: flags.types.split(',').map((type) => type.trim()) } : {}),
  };
  const client = createCliClient(requireApi(resolveConnection(flags, io.env)), flags, io);
  try {
    let shown = 0;
    for await (const event of client.events.iterate(query)) {
      io.stdout.write(flags.json ? `${JSON.stringify(event)}\n` : `${formatRow(event)}\n`);
      if (++shown >= limit) break;
    }
    if (shown === 0 && !flags.json) io.stdout.write('no events match\n');
  } finally {
    client.close();
  }
}

function formatRow(event: EventEnvelope): string {
  const subject = Object.entries(event.data)
    .filter(([key]) => key.endsWith('_id'))
    .map(([key, value]) => `${key}=${String(value)}`)
    .join(' ');
  return `${event.created_at}  ${event.type.padEnd(22)} ${event.id}  ${subject}`;
}
