/**
 * Strict ISO 8601 parsing. Date.parse alone accepts 2026-02-30 (as 2 March) and reads an
 * offset-less date-time as local time; a feed bound must mean one instant or be refused.
 * Also the check of fault waits, which both fault injectors take.
 */
import { ConfigError } from '@eventsync/core';

const ISO_8601 =
  /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?(Z|[+-]\d{2}(?::?\d{2})?)?)?$/i;

/** Epoch ms, or undefined when `text` is not an ISO 8601 date or date-time. Missing offset means UTC. */
export function parseIsoTime(text: string): number | undefined {
  // `+02:00` sent unencoded in a query string arrives as ` 02:00`.
  const repaired = text.trim().replace(/(T[\d:.,]+) (\d{2}(?::?\d{2})?)$/i, '$1+$2');
  const match = ISO_8601.exec(repaired);
  if (!match) return undefined;
  const [, y, mo, d, h = '0', mi = '0', s = '0', fraction = '', offset = 'Z'] = match;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return undefined;
  if (day > new Date(Date.UTC(year, month, 0)).getUTCDate()) return undefined;
  const ms = Number(fraction.slice(0, 3).padEnd(3, '0'));
  let offsetMinutes = 0;
  if (offset.toUpperCase() !== 'Z') {
    const sign = offset[0] === '-' ? -1 : 1;
    const digits = offset.slice(1).replace(':', '');
    const offsetHours = Number(digits.slice(0, 2));
    const offsetMins = Number(digits.slice(2) || '0');
    if (offsetHours > 23 || offsetMins > 59) return undefined;
    offsetMinutes = sign * (offsetHours * 60 + offsetMins);
  }
  const utc = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  return utc - offsetMinutes * 60_000;
}

export function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}

/** A fault wait: absent, a number of ms, or a [min, max] range of them. */
export function checkDuration(value: unknown, setting: string): void {
  if (value === undefined) return;
  const [min, max] = Array.isArray(value) ? value : [value, value];
  const ok = (ms: unknown): boolean => typeof ms === 'number' && Number.isFinite(ms) && ms >= 0;
  if (!ok(min) || !ok(max) || (Array.isArray(value) && value.length !== 2)) {
    throw new ConfigError(`${setting} must be a number of ms, or [min, max]`, setting);
  }
  if ((max as number) < (min as number)) throw new ConfigError(`${setting} range must be [min, max]`, setting);
}
