import { describe, expect, it } from 'vitest';
import { parseDuration, parseInstant } from '../src/durations.js';
import { UsageError } from '../src/usage-error.js';

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['15s', 15_000],
    ['2m', 120_000],
    ['1h', 3_600_000],
    ['7d', 604_800_000],
    ['1.5s', 1_500],
    ['30', 30_000],
    [' 15s ', 15_000],
  ])('reads %j as %i ms', (text, ms) => {
    expect(parseDuration(text, '--lookback')).toBe(ms);
  });

  it.each(['', '15 s', '-5s', '5S', '5sec', '1e3', 'abc', '2h30m', '.5s'])('refuses %j, naming the option and what it got', (text) => {
    const attempt = () => parseDuration(text, '--poll-interval');
    expect(attempt).toThrow(UsageError);
    expect(attempt).toThrow(`--poll-interval takes a duration such as 500ms, 15s, 2m or 1h; got "${text}"`);
  });
});

describe('parseInstant', () => {
  const now = Date.UTC(2026, 3, 3, 12, 0, 0);

  it('reads a duration as that long before now', () => {
    expect(parseInstant('2h', '--since', now)).toBe('2026-04-03T10:00:00.000Z');
    expect(parseInstant('7d', '--since', now)).toBe('2026-03-27T12:00:00.000Z');
    expect(parseInstant(' 90s', '--since', now)).toBe('2026-04-03T11:58:30.000Z');
  });

  it('reads an ISO time, with or without an offset, as UTC with milliseconds', () => {
    expect(parseInstant('2026-04-03T09:15:00Z', '--since', now)).toBe('2026-04-03T09:15:00.000Z');
    expect(parseInstant('2026-04-03T11:15:00+02:00', '--until', now)).toBe('2026-04-03T09:15:00.000Z');
  });

  it.each(['yesterday', '', '2h ago', '2026-13-01', 'now', '7', '1.5', '2026'])('refuses %j, naming the option and both accepted forms', (text) => {
    const attempt = () => parseInstant(text, '--until', now);
    expect(attempt).toThrow(UsageError);
    expect(attempt).toThrow(`--until takes an ISO 8601 time (2026-04-03T09:15:00Z) or a duration ago (2h, 7d); got "${text}"`);
  });
});
