/** Parses `500ms`, `15s`, `2m`, `1h`, `7d` (or a bare number of seconds) into milliseconds. */
import { UsageError } from './usage-error.js';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export function parseDuration(text: string, option: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(text.trim());
  if (!match) throw new UsageError(`${option} takes a duration such as 500ms, 15s, 2m or 1h; got "${text}"`);
  return Math.round(Number(match[1]) * UNITS[match[2] ?? 's']!);
}

/** An ISO 8601 timestamp, or a duration meaning "that long ago". */
export function parseInstant(text: string, option: string, now: number): string {
  if (/^\d+(\.\d+)?(ms|s|m|h|d)$/.test(text.trim())) return new Date(now - parseDuration(text, option)).toISOString();
  const parsed = Date.parse(text);
  if (Number.isNaN(parsed)) {
    throw new UsageError(`${option} takes an ISO 8601 time (2026-04-03T09:15:00Z) or a duration ago (2h, 7d); got "${text}"`);
  }
  return new Date(parsed).toISOString();
}
