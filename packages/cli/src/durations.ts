/** Parses `500ms`, `15s`, `2m`, `1h`, `7d` (or a bare number of seconds) into milliseconds. */
import { UsageError } from './usage-error.js';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/;

export function parseDuration(text: string, option: string): number {
  const match = DURATION.exec(text.trim());
  if (!match) throw new UsageError(`${option} takes a duration such as 500ms, 15s, 2m or 1h; got "${text}"`);
  return Math.round(Number(match[1]) * UNITS[match[2] ?? 's']!);
}

/**
 * An ISO 8601 timestamp, or a duration meaning "that long ago". A number without a unit is
 * neither: Date.parse would read `7` as July 2001, so it is refused rather than guessed at.
 */
export function parseInstant(text: string, option: string, now: number): string {
  const duration = DURATION.exec(text.trim());
  if (duration?.[2]) return new Date(now - parseDuration(text, option)).toISOString();
  const parsed = duration ? Number.NaN : Date.parse(text);
  if (Number.isNaN(parsed)) {
    throw new UsageError(`${option} takes an ISO 8601 time (2026-04-03T09:15:00Z) or a duration ago (2h, 7d); got "${text}"`);
  }
  return new Date(parsed).toISOString();
}
